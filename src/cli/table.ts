/**
 * Tables and key/value blocks for people. A table's columns are data (`Column`): a header, the API fields
 * a cell shows, how to get its text, its widest width and alignment. `--fields` picks columns by those
 * field names; fields no column shows get a plain column of their own.
 */
import { paint, printable, type Colour } from './style.js';

export interface Column<T> {
  header: string;
  /** The API fields the cell shows (as `--fields` names them, nested ones as `parent/child`). */
  fields: readonly string[];
  value(row: T): string | number | boolean | null | undefined | readonly (string | null)[];
  /** Widest the column gets (and its width when rows stream, in `exchanges tail`); longer text is cut with "…". */
  max?: number;
  /** Takes the width that is left, and gives it up first when the table is too wide (long URIs). */
  flex?: boolean;
  align?: 'left' | 'right';
  colour?(row: T): Colour | null;
}

export interface TableOptions {
  /** Total width to fit (80 unless the terminal says otherwise). */
  width: number;
  colours: boolean;
}

const GAP = '  ';
const FLEX_FLOOR = 8;

/** A value as a cell or a key/value line shows it: `-` for nothing, lists joined, objects as JSON. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : printable(value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', '));
  if (typeof value === 'object') return JSON.stringify(value);
  return printable(String(value));
}

function cut(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

function cells<T>(row: T, columns: readonly Column<T>[]): string[] {
  return columns.map((c) => text(c.value(row)));
}

function fitFlex<T>(columns: readonly Column<T>[], widths: number[], width: number): number[] {
  const total = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  let over = total - width;
  columns.forEach((c, i) => {
    if (over <= 0 || !c.flex) return;
    const floor = Math.max(c.header.length, FLEX_FLOOR);
    const give = Math.max(0, Math.min(over, widths[i]! - floor));
    widths[i]! -= give;
    over -= give;
  });
  return widths;
}

/** Widths for rows that are all known: each column as wide as its widest cell, up to `max`; then fitted. */
function layout<T>(columns: readonly Column<T>[], rows: string[][], width: number): number[] {
  const widths = columns.map((c, i) => Math.min(Math.max(c.header.length, ...rows.map((r) => r[i]!.length)), Math.max(c.max ?? Infinity, c.header.length)));
  return fitFlex(columns, widths, width);
}

/** Widths for rows that stream in (`tail`): each column at its `max`, the flexible one takes the rest. */
export function fixedLayout<T>(columns: readonly Column<T>[], width: number): number[] {
  const widths = columns.map((c) => (c.flex ? 0 : Math.max(c.header.length, c.max ?? c.header.length)));
  const used = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  columns.forEach((c, i) => {
    if (c.flex) widths[i] = Math.max(c.header.length, FLEX_FLOOR, Math.min(c.max ?? Infinity, width - used));
  });
  return widths;
}

function line(texts: readonly string[], colours: readonly (Colour | null)[], columns: readonly Column<unknown>[], widths: readonly number[], on: boolean): string {
  return texts
    .map((t, i) => {
      const w = widths[i]!;
      const s = cut(t, w);
      const last = i === texts.length - 1;
      const padded = columns[i]!.align === 'right' ? s.padStart(w) : last ? s : s.padEnd(w);
      return paint(padded, colours[i] ?? null, on);
    })
    .join(GAP);
}

export function renderHeader<T>(columns: readonly Column<T>[], widths: readonly number[], on: boolean): string {
  const cols = columns as readonly Column<unknown>[];
  return line(cols.map((c) => c.header), cols.map(() => 'bold'), cols, widths, on);
}

export function renderRow<T>(row: T, columns: readonly Column<T>[], widths: readonly number[], on: boolean): string {
  return line(cells(row, columns), columns.map((c) => c.colour?.(row) ?? null), columns as readonly Column<unknown>[], widths, on);
}

/** A header and one line per row. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], options: TableOptions): string[] {
  const widths = layout(columns, rows.map((r) => cells(r, columns)), options.width);
  return [renderHeader(columns, widths, options.colours), ...rows.map((r) => renderRow(r, columns, widths, options.colours))];
}

/** The value at a `--fields` path (`statistics/reads`). */
export function at(row: unknown, path: string): unknown {
  let v: unknown = row;
  for (const name of path.split('/')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
  return v;
}

/**
 * The columns for `--fields a,b`: the declared columns whose fields were all asked for, then a plain
 * column for each asked field no declared column shows. No `--fields`: the declared columns.
 */
export function columnsFor<T>(declared: readonly Column<T>[], fields: string | undefined): Column<T>[] {
  if (fields === undefined) return [...declared];
  const asked = fields.split(',').map((f) => f.trim()).filter(Boolean);
  const chosen = declared.filter((c) => c.fields.every((f) => asked.includes(f)));
  const shown = new Set(chosen.flatMap((c) => c.fields));
  const plain = asked
    .filter((f) => !shown.has(f))
    .map((f): Column<T> => ({ header: f.toUpperCase(), fields: [f], value: (row) => text(at(row, f)), max: 40 }));
  return [...chosen, ...plain];
}

/**
 * A key/value block for `show`: one line per field, nested objects flattened as `parent/child` (the names
 * `--fields` takes). `colour` picks a colour for a value by its key.
 */
export function renderDetails(value: unknown, options: { colours: boolean; colour?: (key: string, value: unknown) => Colour | null }): string[] {
  const pairs: [string, unknown][] = [];
  const walk = (v: unknown, prefix: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, sub] of Object.entries(v as Record<string, unknown>)) walk(sub, prefix ? `${prefix}/${k}` : k);
    } else pairs.push([prefix, v]);
  };
  walk(value, '');
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${paint(k.padEnd(width), 'bold', options.colours)}  ${paint(text(v), options.colour?.(k, v) ?? null, options.colours)}`);
}
