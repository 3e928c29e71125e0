/** Short forms of API values for table cells. */

/** `/services/api` → `api`. */
export function linkName(link: string | null | undefined): string | null {
  if (link === null || link === undefined) return null;
  return link.slice(link.lastIndexOf('/') + 1);
}

/** An ISO time as the local wall clock, `HH:MM:SS`. */
export function clock(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Seconds as `45s`, `3m05s`, `2h07m`, `3d04h`. */
export function duration(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined) return null;
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** How long ago an ISO time was. */
export function age(iso: string | null | undefined, now = Date.now()): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : duration((now - t) / 1000);
}

/** Bytes as `512`, `1.5k`, `12M`. */
export function bytes(n: number | null | undefined): string | null {
  if (n === null || n === undefined) return null;
  const units = ['', 'k', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? String(v) : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

/** Milliseconds: one decimal below 10, whole above. */
export function millis(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

/** A data loss as `12.5% error`. */
export function loss(d: { data_loss_percent: number; data_loss_state: string } | null | undefined): string | null {
  if (!d) return null;
  return `${Number(d.data_loss_percent.toFixed(2))}% ${d.data_loss_state}`;
}
