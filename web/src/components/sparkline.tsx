/** A small SVG line chart of recent data-loss samples, with the threshold as a dashed line. */
import type { Sample } from '../lib/overview.js';

export interface SparklineProps {
  samples: readonly Sample[];
  threshold: number;
  /** Drawing size in CSS pixels. */
  width?: number;
  height?: number;
  label: string;
  /** How many samples the full width stands for. */
  capacity?: number;
}

export function Sparkline({ samples, threshold, width = 160, height = 36, label, capacity = 120 }: SparklineProps) {
  const pad = 2;
  const max = Math.max(threshold * 1.6, 5, ...samples.map((s) => s.percent)) * 1.05;
  // Right-aligned; a short history is spread over at least a sixth of the capacity, so it does not look
  // like a bar squeezed at the right edge, and compresses as it grows.
  const span = Math.min(Math.max(1, capacity - 1), Math.max(samples.length - 1, Math.ceil(capacity / 6)));
  const x = (i: number): number => width - pad - ((samples.length - 1 - i) * (width - 2 * pad)) / span;
  const y = (p: number): number => height - pad - (p / max) * (height - 2 * pad);
  const points = samples.map((s, i) => `${x(i).toFixed(1)},${y(s.percent).toFixed(1)}`).join(' ');
  const last = samples[samples.length - 1];
  const first = samples[0];
  const area = samples.length > 1 ? `M${x(0).toFixed(1)},${height - pad} L${points.replace(/ /g, ' L')} L${x(samples.length - 1).toFixed(1)},${height - pad} Z` : '';
  const state = last?.state ?? 'ok';
  const description =
    last === undefined
      ? `${label}: no samples yet`
      : `${label}: ${last.percent.toFixed(1)} % now${first && samples.length > 1 ? `, ${first.percent.toFixed(1)} % ${Math.round((last.at - first.at) / 1000)} s ago` : ''}; threshold ${threshold} %`;
  return (
    <svg class={`spark spark-${state}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={description}>
      <title>{description}</title>
      <line class="spark-threshold" x1={pad} x2={width - pad} y1={y(threshold)} y2={y(threshold)} />
      {area && <path class="spark-area" d={area} />}
      {samples.length > 1 && <polyline class="spark-line" points={points} />}
      {last && <circle class="spark-dot" cx={x(samples.length - 1)} cy={y(last.percent)} r={2.5} />}
    </svg>
  );
}
