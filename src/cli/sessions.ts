/** `sessiongate sessions list|show ID|connections ID|kill ID|logout USER`: the live client sessions. */
import type { Command } from 'commander';
import type { ConnectionJson, SessionJson } from '../admin/serialize.js';
import {
  adminOptions,
  fieldsOption,
  listOptions,
  listQuery,
  printList,
  printObject,
  withAdmin,
  type AdminOptions,
  type ListOptions,
} from './admin-command.js';
import { SESSION_COLUMNS, UPSTREAM_COLUMNS } from './columns.js';
import { print, printJson } from './output.js';

const sessionPath = (id: string): string => `/v1/sessions/${encodeURIComponent(id)}`;

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('the live client sessions: list, show, connections, kill, logout');

  listOptions(adminOptions(sessions.command('list').description('list the live sessions')))
    .option('--service <name>', 'only the sessions of this service')
    .action((opts: ListOptions & { service?: string }) =>
      withAdmin(opts, async (client) => {
        const { body, total } = await client.get<SessionJson[]>('/v1/sessions', { ...listQuery(opts), service: opts.service });
        printList(body, total, SESSION_COLUMNS, opts, 'session');
      }),
    );

  fieldsOption(adminOptions(sessions.command('show').description('show one session').argument('<id>', 'session id (as `sessions list` shows it)')))
    .action((id: string, opts: AdminOptions & { fields?: string }) =>
      withAdmin(opts, async (client) => {
        const { body } = await client.get<SessionJson>(sessionPath(id), { fields: opts.fields });
        printObject(body, opts);
      }),
    );

  listOptions(
    adminOptions(
      sessions
        .command('connections')
        .description("list a session's upstream contexts (its sessions with the servers: login state, cookies, statistics)")
        .argument('<id>', 'session id'),
    ),
  ).action((id: string, opts: ListOptions) =>
    withAdmin(opts, async (client) => {
      const { body, total } = await client.get<ConnectionJson[]>(`${sessionPath(id)}/connections`, listQuery(opts));
      printList(body, total, UPSTREAM_COLUMNS, opts, 'upstream context');
    }),
  );

  adminOptions(
    sessions
      .command('kill')
      .description('end a session: its running request is cancelled, its queued ones go on without it')
      .argument('<id>', 'session id'),
  ).action((id: string, opts: AdminOptions) =>
    withAdmin(opts, async (client) => {
      await client.delete(sessionPath(id));
      if (opts.json) printJson({ id, killed: 1 });
      else print(`session ${id} ended`);
    }),
  );

  adminOptions(
    sessions
      .command('logout')
      .description('end every session of one client user (as sessions list shows it): log the user out everywhere')
      .argument('<user>', "the client user whose sessions end (not the admin user of --user)"),
  ).action((user: string, opts: AdminOptions) =>
    withAdmin(opts, async (client) => {
      const { headers } = await client.delete('/v1/sessions', { user });
      const killed = Number(headers['x-killed-count'] ?? 0);
      if (opts.json) printJson({ user, killed });
      else print(`${killed} session${killed === 1 ? '' : 's'} of user "${user}" ended`);
    }),
  );
}
