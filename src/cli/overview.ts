/** `sessiongate services|servers|connections [NAME]` and `gateway`: what the gateway is made of, and how it does. */
import type { Command } from 'commander';
import type { ClientConnectionJson, GatewayJson, ServerJson, ServiceJson } from '../admin/serialize.js';
import { adminOptions, listOptions, listQuery, printList, printObject, withAdmin, type ListOptions } from './admin-command.js';
import { CLIENT_CONNECTION_COLUMNS, SERVER_COLUMNS, SERVICE_COLUMNS } from './columns.js';
import type { Colour } from './style.js';
import type { Column } from './table.js';

interface Resource<T> {
  command: string;
  description: string;
  path: string;
  argument: string;
  columns: readonly Column<T>[];
  noun: string;
}

const stateColour = (key: string, value: unknown): Colour | null =>
  key.endsWith('data_loss_state') ? (value === 'error' ? 'red' : 'green') : key === 'state' ? (value === 'up' ? 'green' : value === 'down' ? 'red' : null) : null;

function registerResource<T>(program: Command, r: Resource<T>): void {
  listOptions(adminOptions(program.command(r.command).description(r.description).argument(`[${r.argument}]`, `show only this one (${r.argument})`))).action(
    (one: string | undefined, opts: ListOptions) =>
      withAdmin(opts, async (client) => {
        if (one !== undefined) {
          const { body } = await client.get<T>(`${r.path}/${encodeURIComponent(one)}`, { fields: opts.fields });
          return printObject(body, opts, stateColour);
        }
        const { body, total } = await client.get<T[]>(r.path, listQuery(opts));
        printList(body, total, r.columns, opts, r.noun);
      }),
  );
}

export function registerOverview(program: Command): void {
  registerResource<ServiceJson>(program, {
    command: 'services',
    description: 'list the services (routes, routers, session and upstream policies, data loss), or show one',
    path: '/v1/services',
    argument: 'name',
    columns: SERVICE_COLUMNS,
    noun: 'service',
  });
  registerResource<ServerJson>(program, {
    command: 'servers',
    description: 'list the servers (state, traffic, failures, pool, data loss), or show one',
    path: '/v1/servers',
    argument: 'name',
    columns: SERVER_COLUMNS,
    noun: 'server',
  });
  registerResource<ClientConnectionJson>(program, {
    command: 'connections',
    description: 'list the open client TCP connections, or show one',
    path: '/v1/connections',
    argument: 'id',
    columns: CLIENT_CONNECTION_COLUMNS,
    noun: 'client connection',
  });
  adminOptions(program.command('gateway').description('show the gateway itself: version, uptime, config source, store')).action((opts: ListOptions) =>
    withAdmin(opts, async (client) => {
      const { body } = await client.get<GatewayJson>('/v1/gateway');
      printObject(body, opts);
    }),
  );
}
