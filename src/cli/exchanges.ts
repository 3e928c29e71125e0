/** `sessiongate exchanges list|tail|show ID|clear|export --har FILE`: the live HTTP sessions table. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DataLossJson, ExchangeDetailJson, ExchangeLogStateJson, ExchangeSummaryJson } from '../admin/serialize.js';
import type { AdminClient, Query, SseEvent } from './admin-client.js';
import { adminOptions, fieldsOption, listOptions, listQuery, printList, printObject, withAdmin, type AdminOptions, type ListOptions } from './admin-command.js';
import { EXCHANGE_COLUMNS } from './columns.js';
import { loss } from './format.js';
import { CommandError, EXIT, print, printError, printJson } from './output.js';
import { coloursOn, outputWidth, paint, printable, statusColour } from './style.js';
import { fixedLayout, renderDetails, renderHeader, renderRow, text } from './table.js';

interface FilterOptions {
  status?: string;
  session?: string;
  server?: string;
  service?: string;
  method?: string;
  kind?: string;
  since?: string;
}

/** The API's filters of `/v1/exchanges` (and of the HAR export). */
function filterOptions(cmd: Command): Command {
  return cmd
    .option('--status <status>', 'only this status (404), class (4xx), or "error" (failures and error statuses)')
    .option('--session <id>', 'only exchanges of this session')
    .option('--server <name>', 'only exchanges with this server')
    .option('--service <name>', 'only exchanges of this service')
    .option('--method <method>', 'only this request method')
    .option('--kind <kind>', 'only "request" or "login" exchanges')
    .option('--since <id-or-time>', 'only exchanges after this id, or sent at or after this ISO 8601 time');
}

function filterQuery(opts: FilterOptions): Query {
  return { status: opts.status, session: opts.session, server: opts.server, service: opts.service, method: opts.method, kind: opts.kind, since: opts.since };
}

export function registerExchanges(program: Command): void {
  const exchanges = program.command('exchanges').description('the exchange log (the live HTTP sessions table): list, tail, show, clear, export');

  filterOptions(listOptions(adminOptions(exchanges.command('list').description('list the exchanges in the table, oldest first')))).action(
    (opts: ListOptions & FilterOptions) =>
      withAdmin(opts, async (client) => {
        const { body, total } = await client.get<ExchangeSummaryJson[]>('/v1/exchanges', { ...listQuery(opts), ...filterQuery(opts) });
        printList(body, total, EXCHANGE_COLUMNS, opts, 'exchange');
      }),
  );

  adminOptions(
    exchanges
      .command('tail')
      .description(
        'follow new exchanges live, one line each (and data loss changes), until Ctrl+C; connects again when the stream ' +
          'breaks off and prints what was recorded meanwhile; --json: one JSON object {event, data} per line',
      ),
  ).action((opts: AdminOptions) => withAdmin(opts, (client) => tail(client, opts)));

  fieldsOption(adminOptions(exchanges.command('show').description('show one exchange in full: timings, headers, kept bodies').argument('<id>', 'exchange id'))).action(
    (id: string, opts: AdminOptions & { fields?: string }) =>
      withAdmin(opts, async (client) => {
        const { body } = await client.get<ExchangeDetailJson>(`/v1/exchanges/${encodeURIComponent(id)}`, { fields: opts.fields });
        if (opts.json || opts.fields !== undefined) printObject(body, opts);
        else printExchange(body);
      }),
  );

  adminOptions(exchanges.command('clear').description('clear the table (data loss starts again from zero)')).action((opts: AdminOptions) =>
    withAdmin(opts, async (client) => {
      await client.delete('/v1/exchanges');
      if (opts.json) printJson({ cleared: true });
      else print('the exchange log was cleared');
    }),
  );

  filterOptions(
    adminOptions(
      exchanges
        .command('export')
        .description('write the table as HAR 1.2 (secrets redacted), for browser dev tools and HAR viewers')
        .requiredOption('--har <file>', 'the file to write ("-": standard output)'),
    ),
  ).action((opts: AdminOptions & FilterOptions & { har: string }) =>
    withAdmin(opts, async (client) => {
      const har = await client.getText('/v1/exchanges.har', filterQuery(opts));
      if (opts.har === '-') {
        process.stdout.write(har.endsWith('\n') ? har : `${har}\n`);
        return;
      }
      try {
        writeFileSync(opts.har, har);
      } catch (err) {
        throw new CommandError(`cannot write ${opts.har}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const entries = (JSON.parse(har) as { log?: { entries?: unknown[] } }).log?.entries?.length ?? 0;
      if (opts.json) printJson({ file: opts.har, entries });
      else print(`wrote ${entries} exchange${entries === 1 ? '' : 's'} to ${opts.har} (HAR 1.2)`);
    }),
  );
}

/** `exchanges show`: the summary as a key/value block, then headers and bodies. */
function printExchange(ex: ExchangeDetailJson): void {
  const colours = coloursOn();
  const { request_headers, request_body, response_headers, response_body, request_data: _rq, response_data: _rs, ...summary } = ex;
  for (const l of renderDetails(summary, { colours, colour: (k) => (k === 'status' || k === 'error' ? statusColour(ex.status, ex.error !== null) : null) })) print(l);
  const section = (title: string, headers: [string, string][] | null, body: ExchangeDetailJson['request_body'], size: number, truncated: boolean): void => {
    print();
    print(paint(`${title} headers`, 'bold', colours));
    for (const [name, value] of headers ?? []) print(`  ${printable(name)}: ${printable(value)}`);
    if (headers === null) print('  (no response)');
    const about = [`${size} bytes`, truncated ? 'truncated' : '', ex.bodies_evicted ? 'evicted from the log' : ''].filter(Boolean).join(', ');
    print(paint(`${title} body (${about})`, 'bold', colours));
    if (body === null) return;
    if (body.encoding === 'base64') print(`  (binary: --json shows it as base64)`);
    else for (const l of body.text.replace(/\t/g, '  ').split(/\r?\n/)) print(`  ${printable(l)}`);
  };
  section('request', request_headers, request_body, ex.request_body_size, ex.request_body_truncated);
  section('response', response_headers, response_body, ex.response_body_size, ex.response_body_truncated);
}

/** Seconds between attempts to follow the stream again after it ended or broke off. */
const RECONNECT_MS = 1000;

/**
 * `exchanges tail`: follows /v1/exchanges/stream until Ctrl+C. When the stream ends or breaks off (the
 * gateway restarts, the network drops), it connects again every second and resumes after the last event it
 * printed, so the exchanges recorded meanwhile are printed too. Only the first connection's failure ends
 * the command (a wrong address or password should not be retried for ever), and so does a refusal later
 * (401, 404).
 */
async function tail(client: AdminClient, opts: AdminOptions): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const colours = coloursOn();
  const widths = fixedLayout(EXCHANGE_COLUMNS, outputWidth());
  let lastEventId: string | null = null;
  let connected = false;
  /** Between a break and the next connection: told once. */
  let outage = false;
  const onEvent = (e: SseEvent): void => {
    connected = true;
    outage = false;
    if (e.event === 'exchange' && e.id !== null) lastEventId = e.id;
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      data = e.data;
    }
    if (opts.json) return print(JSON.stringify({ event: e.event, data }));
    switch (e.event) {
      case 'state': {
        const s = data as ExchangeLogStateJson;
        printError(`following ${client.address}/v1/exchanges/stream: ${s.entries} exchanges in the table, data loss ${loss(s)}${s.enabled ? '' : ' (recording is off)'}; Ctrl+C stops`);
        return print(renderHeader(EXCHANGE_COLUMNS, widths, colours));
      }
      case 'exchange':
        return print(renderRow(data as ExchangeSummaryJson, EXCHANGE_COLUMNS, widths, colours));
      case 'data-loss': {
        const d = data as DataLossJson & { scope: string; name: string | null };
        const where = d.scope === 'all' ? 'overall' : `${d.scope} ${text(d.name)}`;
        return print(paint(`data loss ${where}: ${loss(d)} (${d.lost} of ${d.exchanges})`, d.data_loss_state === 'error' ? 'red' : 'green', colours));
      }
      case 'lost': {
        const n = (data as { count: number }).count;
        return print(paint(`${n} event${n === 1 ? '' : 's'} lost (this client fell behind, or rows left the table while it was away)`, 'yellow', colours));
      }
      case 'cleared':
        return print(paint('the exchange log was cleared', 'dim', colours));
      case 'configured':
        return print(paint("the exchange log's settings changed", 'dim', colours));
    }
  };
  try {
    while (!controller.signal.aborted) {
      const path = `/v1/exchanges/stream${lastEventId === null ? '' : `?last_event_id=${encodeURIComponent(lastEventId)}`}`;
      let why = 'the event stream ended';
      try {
        await client.stream(path, onEvent, controller.signal);
      } catch (err) {
        if (!connected || !(err instanceof CommandError) || err.exitCode !== EXIT.FAILURE) throw err;
        why = err.message;
      }
      if (controller.signal.aborted) break;
      if (!outage) printError(`${why}; connecting again every ${RECONNECT_MS / 1000} s (Ctrl+C stops)`);
      outage = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RECONNECT_MS);
        controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  process.exitCode = EXIT.OK;
}
