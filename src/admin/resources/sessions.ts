/** `/v1/sessions`: the live client sessions (MaxScale's session resource). */
import { z } from 'zod';
import type { Session, SessionTable } from '../../session/index.js';
import type { Service } from '../../service/index.js';
import { AdminError } from '../admin-error.js';
import { json, noContent, type AdminRequest, type AdminResult, type Route } from '../route.js';
import { connectionJson, ConnectionJsonSchema, sessionJson, SessionJsonSchema, type SessionJson } from '../serialize.js';
import { sliceRange } from '../query.js';

export interface SessionsDeps {
  sessions: SessionTable;
  services: readonly Service[];
}

const listQuery = z.strictObject({
  service: z.string().optional().describe('Only sessions of this service.'),
  user: z.string().optional().describe('Only sessions of this user.'),
});

const killQuery = z.strictObject({
  user: z.string({ error: 'DELETE /v1/sessions needs ?user=NAME (ending every session at once is not allowed)' }).min(1)
    .describe('End every session of this user (log the user out everywhere).'),
});

export function sessionRoutes(deps: SessionsDeps): Route[] {
  const toJson = (s: Session): SessionJson => sessionJson(s, deps.services.find((svc) => svc.name === s.service) ?? null, Date.now());
  const find = async (req: AdminRequest): Promise<Session> => {
    const s = await deps.sessions.get(req.params.id!);
    if (s === null) throw new AdminError(404, `no session with id "${req.params.id}"`);
    return s;
  };
  return [
    {
      method: 'GET',
      path: '/v1/sessions',
      summary: 'List the live sessions',
      list: true,
      query: listQuery,
      response: z.array(SessionJsonSchema),
      async handler(req): Promise<AdminResult> {
        const q = req.args as z.output<typeof listQuery>;
        const range = req.range ?? { start: 0, end: Number.MAX_SAFE_INTEGER };
        const page = await deps.sessions.list({ service: q.service, user: q.user }, range.start, range.end);
        return json(page.items.map(toJson), 200, { total: page.total });
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/:id',
      summary: 'One session',
      response: SessionJsonSchema,
      async handler(req) {
        return json(toJson(await find(req)));
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/:id/connections',
      summary: "The session's upstream contexts (MaxScale's backend connections): login state, cookie names, statistics",
      list: true,
      response: z.array(ConnectionJsonSchema),
      async handler(req) {
        const s = await find(req);
        const all = [...(s.upstream?.values() ?? [])].map(connectionJson);
        return json(sliceRange(all, req.range), 200, { total: all.length });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/:id',
      summary: 'End a session: cancel its running request, release its queued ones, kill its id for good',
      status: 204,
      async handler(req) {
        if (!(await deps.sessions.kill(req.params.id!))) throw new AdminError(404, `no session with id "${req.params.id}"`);
        return noContent();
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions',
      summary: 'End every session of a user (?user=NAME)',
      query: killQuery,
      status: 204,
      async handler(req) {
        const n = await deps.sessions.killUser((req.args as z.output<typeof killQuery>).user);
        return noContent({ 'X-Killed-Count': String(n) });
      },
    },
  ];
}
