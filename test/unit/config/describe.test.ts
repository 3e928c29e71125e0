import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderConfigDoc, renderConfigSchema } from '../../../scripts/docs.js';
import { describeSchema, type FieldDoc } from '../../../src/config/describe.js';
import { configSchema } from '../../../src/config/schema.js';
import { section } from '../../../src/config/section.js';

const rows = describeSchema(configSchema);
const row = (path: string): FieldDoc => {
  const found = rows.filter((r) => r.path === path);
  expect(found, path).toHaveLength(1);
  return found[0]!;
};
const paths = (prefix: string): string[] => rows.filter((r) => r.path.startsWith(prefix)).map((r) => r.path);

describe('describeSchema: unions', () => {
  it('lists every field of the store variants, after the field that selects the variant', () => {
    expect(paths('store')).toEqual([
      'store',
      'store.type',
      'store.url',
      'store.key_prefix',
      'store.tls_ca',
      'store.command_timeout',
      'store.lease_ttl',
      'store.lease_linger',
      'store.stream',
      'store.stream.enabled',
      'store.stream.max_len',
    ]);
    expect(row('store')).toMatchObject({ type: 'section', default: undefined, required: false });
    expect(row('store.type')).toMatchObject({ type: '`memory` \\| `redis`', default: '"memory"', required: false });
    expect(row('store.type').when).toBeUndefined();
    expect(row('store.type').description).toContain('`memory` has no other fields');
    const redis = [{ discriminator: 'store.type', values: ['redis'] }];
    expect(row('store.url')).toMatchObject({ type: 'string', required: true, when: redis });
    expect(row('store.url').description).toMatch(/^The Redis \(or Valkey\) server/);
    expect(row('store.key_prefix')).toMatchObject({ default: '"sg:"', required: false, when: redis, description: 'Prefix of every key sessiongate writes.' });
    expect(row('store.command_timeout')).toMatchObject({ type: 'duration', default: '2s', when: redis });
    expect(row('store.stream.max_len')).toMatchObject({ default: '10000', when: redis });
  });

  it('lists the upstream auth variants, one row for a field several variants declare alike', () => {
    const auth = 'services[].upstream.auth';
    expect(row(auth)).toMatchObject({ type: 'section', description: 'How the gateway authenticates to the servers.' });
    expect(row(`${auth}.type`)).toMatchObject({ type: '`none` \\| `basic` \\| `bearer` \\| `login` \\| `custom`', default: '"none"' });
    const when = (...values: string[]) => [{ discriminator: `${auth}.type`, values }];
    expect(row(`${auth}.credentials`)).toMatchObject({ default: '"config"', when: when('basic', 'bearer', 'login', 'custom') });
    expect(row(`${auth}.user`)).toMatchObject({ required: false, when: when('basic'), description: 'User name (credentials `config`).' });
    expect(row(`${auth}.token`)).toMatchObject({ when: when('bearer') });
    expect(row(`${auth}.path`)).toMatchObject({ required: true, when: when('login'), description: 'Path of the login request on the server.' });
    expect(row(`${auth}.headers`)).toMatchObject({ type: 'map of string', default: '{"content-type":"application/json"}', when: when('login') });
    expect(row(`${auth}.success.status`)).toMatchObject({ default: '[200,201,204]', when: when('login') });
    expect(row(`${auth}.success.header.match`)).toMatchObject({ required: true, when: when('login'), description: 'Regular expression the value must match.' });
    expect(row(`${auth}.module`)).toMatchObject({ required: true, when: when('custom') });
    expect(row(`${auth}.export`)).toMatchObject({ default: '"login"', when: when('custom') });
  });

  it('lists the filter variants of a list of unions under `[]`', () => {
    expect(row('services[].filters')).toMatchObject({ type: 'list', default: '[]' });
    expect(row('services[].filters[].type')).toMatchObject({ required: true, default: undefined });
    const when = (...values: string[]) => [{ discriminator: 'services[].filters[].type', values }];
    expect(row('services[].filters[].name')).toMatchObject({ when: when('headers', 'throttle') });
    expect(row('services[].filters[].request.set')).toMatchObject({ default: '{}', when: when('headers') });
    expect(row('services[].filters[].rate')).toMatchObject({ required: true, when: when('throttle') });
    expect(row('services[].filters[].per')).toMatchObject({ type: 'duration', default: '1s', when: when('throttle') });
  });

  it('has one row per path and no bare "object" types left', () => {
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
    for (const r of rows) expect(r.type, r.path).not.toMatch(/\bobject\b/);
  });

  it('finds the discriminator of a plain union, numbers variants without one, and nests conditions outermost first', () => {
    const inner = z.discriminatedUnion('kind', [section({ kind: z.literal('a'), x: z.string().describe('X.') }), section({ kind: z.literal('b') })]);
    const plain = z.union([section({ mode: z.literal('on'), inner }), section({ mode: z.literal('off') })]);
    expect(describeSchema(section({ p: plain })).map((r) => [r.path, r.when])).toEqual([
      ['p', undefined],
      ['p.mode', undefined],
      ['p.inner', [{ discriminator: 'p.mode', values: ['on'] }]],
      ['p.inner.kind', [{ discriminator: 'p.mode', values: ['on'] }]],
      ['p.inner.x', [{ discriminator: 'p.mode', values: ['on'] }, { discriminator: 'p.inner.kind', values: ['a'] }]],
    ]);
    const shapes = z.union([z.string(), section({ a: z.number() }), section({ b: z.number() })]);
    expect(describeSchema(section({ s: shapes })).map((r) => [r.path, r.type, r.when])).toEqual([
      ['s', 'string or section', undefined],
      ['s.a', 'number', [{ discriminator: undefined, values: ['1'] }]],
      ['s.b', 'number', [{ discriminator: undefined, values: ['2'] }]],
    ]);
  });
});

describe('docs/config.md: unions', () => {
  const doc = renderConfigDoc();

  it('shows each variant field with the variants it belongs to', () => {
    expect(doc).toContain('| `store.type` | `memory` \\\\| `redis` | `"memory"` | Selects the variant');
    expect(doc).toContain('| `store.url` | string | *required* | (type: `redis`) The Redis (or Valkey) server; a password goes in the URL, usually from "${VAR}". |');
    expect(doc).toContain('| `store.stream.enabled` | boolean | `false` | (type: `redis`) Publish every exchange');
    expect(doc).toContain('| `services[].upstream.auth.credentials` | `config` \\\\| `client` | `"config"` | (type: `basic`, `bearer`, `login`, `custom`) `config`: the credentials written here;');
    expect(doc).toContain('| `services[].upstream.auth.path` | string | *required* | (type: `login`) Path of the login request on the server. |');
    expect(doc).toContain('| `services[].filters[].rate` | number | *required* | (type: `throttle`) Requests a session may make per `per`. |');
    expect(doc).not.toMatch(/object or object/);
  });
});

describe('docs/config.schema.json: unions', () => {
  const schema = JSON.parse(renderConfigSchema()) as {
    properties: Record<string, { default?: unknown; oneOf?: { properties: Record<string, unknown>; required?: string[] }[] }>;
  };
  const ajv = new Ajv2020({ strict: false, logger: false });
  const validate = ajv.compile(schema);
  const base = {
    listeners: [{ name: 'l', listen: '127.0.0.1:0' }],
    servers: [{ name: 's', url: 'http://127.0.0.1:1' }],
    services: [{ name: 'svc', listener: 'l', servers: ['s'] }],
  };
  const withAuth = (auth: unknown) => ({ ...base, services: [{ ...base.services[0], upstream: { auth } }] });

  it('declares each variant with its own fields, and the union\'s default', () => {
    const store = schema.properties.store!;
    expect(store.default).toEqual({ type: 'memory' });
    const redis = store.oneOf!.find((v) => (v.properties.type as { const?: string }).const === 'redis')!;
    expect(Object.keys(redis.properties)).toEqual(['type', 'url', 'key_prefix', 'tls_ca', 'command_timeout', 'lease_ttl', 'lease_linger', 'stream']);
    expect(redis.required).toEqual(['type', 'url']);
    expect(redis.properties.command_timeout).toMatchObject({ default: '2s' });
    expect(schema.properties.shutdown_timeout!.default).toBe('10s');
  });

  it('accepts each variant with its fields and refuses a field of another variant', () => {
    expect(validate(base)).toBe(true);
    expect(validate({ ...base, store: { type: 'redis', url: 'redis://127.0.0.1:6379', lease_ttl: '5s', stream: { enabled: true } } })).toBe(true);
    expect(validate({ ...base, store: { type: 'redis' } })).toBe(false);
    expect(validate({ ...base, store: { type: 'memory', url: 'redis://127.0.0.1:6379' } })).toBe(false);
    expect(validate(withAuth({ type: 'login', path: '/login', success: { header: { name: 'x-ok', match: '.' } } }))).toBe(true);
    expect(validate(withAuth({ type: 'login' }))).toBe(false);
    expect(validate(withAuth({ type: 'basic', token: 't' }))).toBe(false);
  });
});
