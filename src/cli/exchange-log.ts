/** `sessiongate log state` and `log set`: the exchange log's settings and data loss (DataMiner's HTTP Sessions parameters). */
import { InvalidArgumentError, type Command } from 'commander';
import type { ExchangeLogStateJson } from '../admin/serialize.js';
import type { ExchangeLogPatch } from '../config/exchange-log.js';
import { adminOptions, printObject, withAdmin, type AdminOptions } from './admin-command.js';
import { CommandError, EXIT } from './output.js';
import type { Colour } from './style.js';

const stateColour = (key: string, value: unknown): Colour | null =>
  key === 'data_loss_state' ? (value === 'error' ? 'red' : 'green') : key === 'enabled' ? (value === true ? 'green' : 'yellow') : null;

export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new InvalidArgumentError('expected true or false');
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number, e.g. 1000');
  return Number(value);
}

function parsePercent(value: string): number {
  const v = value.trim().replace(/%$/, '');
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('expected a percentage, e.g. 10 or 2.5');
  return Number(v);
}

export function registerExchangeLog(program: Command): void {
  const log = program.command('log').description("the exchange log's settings and data loss: state, set");

  adminOptions(log.command('state').description('show whether the log records, its size, and data loss against the threshold')).action((opts: AdminOptions) =>
    withAdmin(opts, async (client) => {
      const { body } = await client.get<ExchangeLogStateJson>('/v1/exchange-log');
      printObject(body, opts, stateColour);
    }),
  );

  adminOptions(
    log
      .command('set')
      .description('change the exchange log at run time (all given values apply, or none)')
      .option('--enabled <bool>', 'record exchanges: true or false', parseBool)
      .option('--max-count <n>', 'most exchanges kept (the oldest go first)', parseCount)
      .option('--threshold <pct>', 'data loss percentage above which data_loss_state is error', parsePercent),
  ).action((opts: AdminOptions & { enabled?: boolean; maxCount?: number; threshold?: number }) =>
    withAdmin(opts, async (client) => {
      const patch: ExchangeLogPatch = { enabled: opts.enabled, max_entries: opts.maxCount, threshold_percent: opts.threshold };
      if (Object.values(patch).every((v) => v === undefined)) {
        throw new CommandError('log set needs at least one of --enabled, --max-count, --threshold', EXIT.INVALID);
      }
      const state = await client.patch<ExchangeLogStateJson>('/v1/exchange-log', patch);
      printObject(state, opts, stateColour);
    }),
  );
}
