/**
 * MaxScale's request parameters, on every admin endpoint: `fields=a,b,c` keeps only those fields (nested ones
 * as `statistics/reads`), `range=START-END` returns items START through END of a list, inclusive, counted
 * from 0 and cut off at the list's end. Malformed values are 400s.
 */
import { AdminError } from './admin-error.js';

export interface ListRange {
  start: number;
  end: number;
}

const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;
const RANGE_RE = /^(\d{1,15})-(\d{1,15})$/;

export type FieldTree = Map<string, FieldTree | true>;

/** Parses `fields`; null when absent (all fields). */
export function parseFields(value: string | null): FieldTree | null {
  if (value === null) return null;
  const tree: FieldTree = new Map();
  const parts = value.split(',');
  if (value.trim() === '' || parts.some((p) => !FIELD_RE.test(p.trim()))) {
    throw new AdminError(400, `invalid fields "${value}": expected comma-separated field names, nested ones as parent/child`);
  }
  for (const part of parts) {
    let node = tree;
    const names = part.trim().split('/');
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      const existing = node.get(name);
      if (last) node.set(name, true);
      else if (existing === true) return;
      else {
        const child: FieldTree = existing ?? new Map();
        node.set(name, child);
        node = child;
      }
    });
  }
  return tree;
}

/** Parses `range`; null when absent (everything). */
export function parseRange(value: string | null): ListRange | null {
  if (value === null) return null;
  const m = RANGE_RE.exec(value);
  if (!m) throw new AdminError(400, `invalid range "${value}": expected START-END, e.g. 0-9`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end) throw new AdminError(400, `invalid range "${value}": START is after END`);
  return { start, end };
}

/** Keeps only the selected fields of a JSON object. */
export function pickFields(value: unknown, fields: FieldTree | null): unknown {
  if (fields === null || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => pickFields(v, fields));
  const out: Record<string, unknown> = {};
  for (const [name, sub] of fields) {
    if (!(name in (value as Record<string, unknown>))) continue;
    const v = (value as Record<string, unknown>)[name];
    out[name] = sub === true ? v : pickFields(v, sub);
  }
  return out;
}

/** Applies a range to a whole list (for resources that are not paged at the source). */
export function sliceRange<T>(items: readonly T[], range: ListRange | null): T[] {
  if (range === null) return [...items];
  return items.slice(range.start, range.end + 1);
}
