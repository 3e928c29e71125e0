/**
 * A sortable, keyboard-driven table that renders only the rows in view (virtual scrolling), so that a
 * live table of 10,000+ rows stays smooth. ARIA grid semantics: arrow keys, Page Up/Down, Home/End move
 * the selection, Enter opens the selected row, Escape closes it.
 */
import type { ComponentChild } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface Column<T> {
  id: string;
  label: string;
  /** A CSS grid track: `64px`, `minmax(160px, 2fr)`. */
  width: string;
  /** The value sorted on; columns without one are not sortable. */
  sortValue?: (row: T) => string | number | null;
  render: (row: T) => ComponentChild;
  /** Full text for the cell's tooltip. */
  title?: (row: T) => string | undefined;
  /** Extra class on the cells (`num` right-aligns). */
  className?: string;
}

export interface SortState {
  column: string;
  dir: 'asc' | 'desc';
}

export interface DataGridProps<T> {
  /** Prefix of element ids; also names the grid for tests. */
  id: string;
  label: string;
  columns: readonly Column<T>[];
  /** Already filtered and sorted (see `sortRows`). */
  rows: readonly T[];
  rowKey: (row: T) => string;
  rowClass?: (row: T) => string;
  selected: string | null;
  onSelect: (key: string) => void;
  onOpen: (key: string) => void;
  onClose?: () => void;
  sort: SortState;
  onSort: (sort: SortState) => void;
  /** Narrower than this, the grid scrolls sideways. */
  minWidth: number;
  /** Changes when sort or filters change: the grid then scrolls back to the top. */
  viewKey?: string;
  empty?: ComponentChild;
}

export const ROW_HEIGHT = 30;
const HEAD_HEIGHT = 34;
const OVERSCAN = 8;

/** Sorts a copy of `rows` by the sort column (missing values last, ties by original order). */
export function sortRows<T>(rows: readonly T[], columns: readonly Column<T>[], sort: SortState): T[] {
  const col = columns.find((c) => c.id === sort.column);
  if (!col?.sortValue) return rows.slice();
  const value = col.sortValue;
  const sign = sort.dir === 'asc' ? 1 : -1;
  const keyed = rows.map((row, i) => ({ row, i, v: value(row) }));
  keyed.sort((a, b) => {
    if (a.v === b.v) return a.i - b.i;
    if (a.v === null) return 1;
    if (b.v === null) return -1;
    return (a.v < b.v ? -1 : 1) * sign;
  });
  return keyed.map((k) => k.row);
}

export function DataGrid<T>(props: DataGridProps<T>) {
  const { id, columns, rows, rowKey, selected } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);
  const frame = useRef(0);
  const anchor = useRef<{ key: string; index: number } | null>(null);
  const lastViewKey = useRef(props.viewKey);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewHeight(el.clientHeight));
    ro.observe(el);
    setViewHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // Live rows arrive while the user reads: keep the first visible row where it is, unless the view is at
  // its top (then new rows slide in) or sort and filters just changed (then start from the top).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (lastViewKey.current !== props.viewKey) {
      lastViewKey.current = props.viewKey;
      el.scrollTop = 0;
      setScrollTop(0);
    } else {
      const a = anchor.current;
      if (a !== null && el.scrollTop > 0) {
        const at = rows[a.index] !== undefined && rowKey(rows[a.index]!) === a.key ? a.index : rows.findIndex((r) => rowKey(r) === a.key);
        if (at >= 0 && at !== a.index) {
          el.scrollTop += (at - a.index) * ROW_HEIGHT;
          setScrollTop(el.scrollTop);
        }
      }
    }
    const top = Math.floor(el.scrollTop / ROW_HEIGHT);
    anchor.current = rows[top] !== undefined ? { key: rowKey(rows[top]!), index: top } : null;
  }, [rows, props.viewKey]);

  const onScroll = (): void => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = scroller.current;
      if (!el) return;
      setScrollTop(el.scrollTop);
      const top = Math.floor(el.scrollTop / ROW_HEIGHT);
      anchor.current = rows[top] !== undefined ? { key: rowKey(rows[top]!), index: top } : null;
    });
  };

  const bodyHeight = Math.max(0, viewHeight - HEAD_HEIGHT);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + bodyHeight) / ROW_HEIGHT) + OVERSCAN);
  const visible = rows.slice(first, last);
  const rowId = (key: string): string => `${id}-row-${key}`;
  const selectedVisible = selected !== null && visible.some((r) => rowKey(r) === selected);

  const scrollToIndex = (index: number): void => {
    const el = scroller.current;
    if (!el) return;
    const top = index * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + bodyHeight) el.scrollTop = top + ROW_HEIGHT - bodyHeight;
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.target !== scroller.current) return; // keys typed into a header button stay there
    if (rows.length === 0) return;
    const index = selected === null ? -1 : rows.findIndex((r) => rowKey(r) === selected);
    const page = Math.max(1, Math.floor(bodyHeight / ROW_HEIGHT) - 1);
    let next: number;
    switch (e.key) {
      case 'ArrowDown': next = index + 1; break;
      case 'ArrowUp': next = index < 0 ? 0 : index - 1; break;
      case 'PageDown': next = index + page; break;
      case 'PageUp': next = index - page; break;
      case 'Home': next = 0; break;
      case 'End': next = rows.length - 1; break;
      case 'Enter':
      case ' ':
        if (selected !== null) props.onOpen(selected);
        else props.onSelect(rowKey(rows[0]!));
        e.preventDefault();
        return;
      case 'Escape':
        props.onClose?.();
        return;
      default:
        return;
    }
    e.preventDefault();
    next = Math.min(rows.length - 1, Math.max(0, next));
    props.onSelect(rowKey(rows[next]!));
    scrollToIndex(next);
  };

  const cols = columns.map((c) => c.width).join(' ');
  return (
    <div
      ref={scroller}
      id={id}
      class="grid"
      role="grid"
      tabIndex={0}
      aria-label={props.label}
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      aria-activedescendant={selectedVisible ? rowId(selected) : undefined}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
      style={{ '--grid-cols': cols, '--grid-min-width': `${props.minWidth}px` }}
    >
      <div class="grid-head" role="row" aria-rowindex={1}>
        {columns.map((c, i) => {
          const sorted = props.sort.column === c.id;
          const ariaSort = sorted ? (props.sort.dir === 'asc' ? 'ascending' : 'descending') : c.sortValue ? 'none' : undefined;
          return (
            <div key={c.id} class={`grid-th ${c.className ?? ''}`} role="columnheader" aria-colindex={i + 1} aria-sort={ariaSort} data-col={c.id}>
              {c.sortValue ? (
                <button
                  type="button"
                  class="sort"
                  onClick={() => props.onSort({ column: c.id, dir: sorted && props.sort.dir === 'desc' ? 'asc' : sorted ? 'desc' : c.className?.includes('num') || c.id === 'id' ? 'desc' : 'asc' })}
                >
                  <span class="sort-label">{c.label}</span>
                  {sorted && <span class="sort-mark" aria-hidden="true">{props.sort.dir === 'asc' ? '▲' : '▼'}</span>}
                </button>
              ) : (
                c.label
              )}
            </div>
          );
        })}
      </div>
      <div class="grid-body" role="rowgroup" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
        <div class="grid-window" style={{ transform: `translateY(${first * ROW_HEIGHT}px)` }}>
          {visible.map((row, i) => {
            const key = rowKey(row);
            const isSelected = key === selected;
            return (
              <div
                key={key}
                id={rowId(key)}
                class={`grid-row ${props.rowClass?.(row) ?? ''} ${isSelected ? 'selected' : ''}`}
                role="row"
                aria-rowindex={first + i + 2}
                aria-selected={isSelected}
                data-key={key}
                onClick={() => {
                  props.onSelect(key);
                  props.onOpen(key);
                  scroller.current?.focus({ preventScroll: true });
                }}
              >
                {columns.map((c, ci) => (
                  <div key={c.id} class={`grid-td ${c.className ?? ''}`} role="gridcell" aria-colindex={ci + 1} data-col={c.id} title={c.title?.(row)}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      {rows.length === 0 && <div class="grid-empty">{props.empty ?? 'Nothing to show.'}</div>}
    </div>
  );
}
