/**
 * Data loss, prominently: the share of exchanges answered with an error, its state against the threshold,
 * a sparkline of the last two minutes, the same per service and per server, and the exchange log's
 * settings (enabled, max entries, threshold) editable in place.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type DataLossJson, type ExchangeLogPatch } from '../lib/api.js';
import { count, percent } from '../lib/format.js';
import { scopeKey, type Overview } from '../lib/overview.js';
import { useStore } from '../lib/store.js';
import { toasts } from '../lib/toasts.js';
import { Sparkline } from './sparkline.js';

export function StateBadge({ state }: { state: 'ok' | 'error' }) {
  return <span class={`badge badge-${state}`}>{state === 'ok' ? 'OK' : 'ERROR'}</span>;
}

function ScopeChip({ kind, name, dl, overview, threshold }: { kind: 'service' | 'server'; name: string; dl: DataLossJson; overview: Overview; threshold: number }) {
  return (
    <li class={`chip chip-${dl.data_loss_state}`} data-scope={`${kind}:${name}`}>
      <span class="chip-kind">{kind}</span>
      <span class="chip-name">{name}</span>
      <span class="chip-value">{percent(dl.data_loss_percent)}</span>
      <StateBadge state={dl.data_loss_state} />
      <Sparkline samples={overview.series(scopeKey(kind, name))} threshold={threshold} width={72} height={22} label={`Data loss of ${kind} ${name}`} />
    </li>
  );
}

/** A number edited in place: applied on Enter or when the field loses focus, Escape restores it. */
function NumberSetting(props: { label: string; value: number; min: number; max: number; step?: number; suffix?: string; name: string; onApply: (v: number) => Promise<void> }) {
  const [text, setText] = useState(String(props.value));
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    if (!editing) setText(String(props.value));
  }, [props.value, editing]);
  const apply = async (): Promise<void> => {
    setEditing(false);
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < props.min || v > props.max) {
      toasts.show(`${props.label} must be a number from ${props.min} to ${props.max}.`, 'error');
      setText(String(props.value));
      return;
    }
    if (v !== props.value) await props.onApply(v);
  };
  return (
    <label class="setting">
      <span>{props.label}</span>
      <span class="setting-input">
        <input
          type="number"
          name={props.name}
          min={props.min}
          max={props.max}
          step={props.step ?? 1}
          value={text}
          onFocus={() => setEditing(true)}
          onInput={(e) => setText(e.currentTarget.value)}
          onBlur={() => void apply()}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
            if (e.key === 'Escape') {
              setText(String(props.value));
              setEditing(false);
            }
          }}
        />
        {props.suffix && <span class="suffix">{props.suffix}</span>}
      </span>
    </label>
  );
}

export function DataLossPanel({ overview }: { overview: Overview }) {
  useStore(overview);
  const log = overview.log;
  const patch = async (p: ExchangeLogPatch): Promise<void> => {
    try {
      overview.setLog(await api.patchExchangeLog(p));
      void overview.refresh();
      toasts.show('Exchange log settings saved.');
    } catch (err) {
      toasts.show(`Not saved: ${(err as Error).message}`, 'error');
      void overview.refresh();
    }
  };
  if (log === null) return <section class="panel dataloss" aria-label="Data loss"><p class="muted-text">Loading data loss…</p></section>;
  const threshold = log.threshold_percent;
  return (
    <section class={`panel dataloss dataloss-${log.data_loss_state}`} aria-label="Data loss" data-testid="data-loss">
      <div class="dataloss-main">
        <div class="dataloss-figure">
          <span class="dataloss-label">Data loss</span>
          <span class="dataloss-value" data-testid="data-loss-percent">{percent(log.data_loss_percent)}</span>
          <span data-testid="data-loss-state"><StateBadge state={log.data_loss_state} /></span>
        </div>
        <p class="dataloss-sub">
          {count(log.lost)} of {count(log.exchanges)} exchanges lost · threshold {threshold} %
        </p>
      </div>
      <Sparkline samples={overview.series('all')} threshold={threshold} width={180} height={44} label="Overall data loss, last 2 minutes" />
      <ul class="chips" aria-label="Data loss per service and server">
        {overview.services.map((s) => <ScopeChip key={`svc-${s.name}`} kind="service" name={s.name} dl={s.data_loss} overview={overview} threshold={threshold} />)}
        {overview.servers.map((s) => <ScopeChip key={`srv-${s.name}`} kind="server" name={s.name} dl={s.data_loss} overview={overview} threshold={threshold} />)}
      </ul>
      <form class="settings" aria-label="Exchange log settings" onSubmit={(e) => e.preventDefault()}>
        <label class="setting setting-switch">
          <input
            type="checkbox"
            role="switch"
            name="enabled"
            checked={log.enabled}
            onChange={(e) => {
              // Shown at once: a refresh still in flight must not flip the switch back while the change is saved.
              const enabled = e.currentTarget.checked;
              overview.setLog({ ...log, enabled });
              void patch({ enabled });
            }}
          />
          <span>Logging {log.enabled ? 'on' : 'off'}</span>
        </label>
        <NumberSetting label="Max entries" name="max_entries" value={log.max_entries} min={1} max={1_000_000} onApply={(v) => patch({ max_entries: v })} />
        <NumberSetting label="Threshold" name="threshold_percent" value={threshold} min={0} max={100} step={0.1} suffix="%" onApply={(v) => patch({ threshold_percent: v })} />
      </form>
    </section>
  );
}
