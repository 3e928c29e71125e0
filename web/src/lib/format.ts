/** How values are shown: times, durations, sizes, ages. */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2026-11-21T16:54:21.410Z` → `16:54:21.410` (local time). */
export function clockTime(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A local date and time for titles and detail views. */
export function dateTime(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clockTime(iso)}`;
}

export function duration(ms: number | null): string {
  if (ms === null) return '';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Seconds → `42 s`, `3 m 05 s`, `2 h 10 m`. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** Seconds since an ISO time. */
export function since(iso: string, now = Date.now()): number {
  return (now - Date.parse(iso)) / 1000;
}

export function percent(p: number): string {
  return `${p.toFixed(p >= 10 || p === 0 ? 1 : 2)} %`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function statusClass(status: number | null): string {
  if (status === null) return 'failed';
  return `s${Math.floor(status / 100)}xx`;
}
