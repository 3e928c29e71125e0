import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatPath, loadConfigFile, validateConfig } from '../../../src/config/index.js';
import { parseDuration, parseListen, parseSize } from '../../../src/config/units.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/config');
const env = { SG_TEST_PASSWORD: 'pw' };

describe('config fixtures', () => {
  for (const file of readdirSync(join(FIXTURES, 'valid'))) {
    it(`accepts valid/${file}`, () => {
      const { config } = loadConfigFile(join(FIXTURES, 'valid', file), { env });
      expect(config.listeners.length).toBeGreaterThan(0);
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.services[0]!.upstream.timeouts)).toBe(true);
    });
  }

  for (const file of readdirSync(join(FIXTURES, 'invalid'))) {
    it(`rejects invalid/${file}, naming every problem's path`, () => {
      const path = join(FIXTURES, 'invalid', file);
      const expected = /^# expect: (.*)$/m.exec(readFileSync(path, 'utf8'))![1]!.split(',').map((s) => s.trim());
      let error: unknown;
      try {
        loadConfigFile(path, { env });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const paths = [...new Set((error as ConfigError).issues.map((i) => formatPath(i.path)))].sort();
      expect(paths).toEqual([...expected].sort());
    });
  }
});

describe('config warnings', () => {
  const base = {
    admin: { enabled: false },
    listeners: [{ name: 'main', listen: '127.0.0.1:0' }, { name: 'other', listen: '127.0.0.1:0' }],
    servers: [{ name: 's', url: 'http://127.0.0.1:9' }],
  };
  const service = (name: string, extra: Record<string, unknown>) => ({ name, listener: 'main', servers: ['s'], match: { path_prefix: `/${name}` }, ...extra });
  const cookieWarnings = (services: unknown[]) =>
    validateConfig({ ...base, services }, 'test')
      .warnings.filter((w) => w.path.at(-1) === 'cookie')
      .map((w) => `${formatPath(w.path)}: ${w.message}`);

  it('warns when two cookie services on one listener use the same cookie name (the default, sgsid)', () => {
    const warnings = cookieWarnings([service('a', { session: { mode: 'cookie' } }), service('b', { session: { mode: 'cookie' } })]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^services\[1\]\.session\.cookie: service "a" on the same listener uses the session cookie "sgsid" too/);
  });

  it('says nothing when the names, listeners, modes or hosts keep them apart', () => {
    const cookie = { session: { mode: 'cookie' } };
    expect(cookieWarnings([service('a', cookie), service('b', { session: { mode: 'cookie', cookie: 'bsid' } })])).toEqual([]);
    expect(cookieWarnings([service('a', cookie), { ...service('b', cookie), listener: 'other' }])).toEqual([]);
    expect(cookieWarnings([service('a', cookie), service('b', { session: { mode: 'param' } })])).toEqual([]);
    expect(cookieWarnings([service('a', { ...cookie, match: { host: 'a.example.com' } }), service('b', { ...cookie, match: { host: 'b.example.com' } })])).toEqual([]);
    expect(cookieWarnings([service('a', { ...cookie, match: { host: '*.example.com' } }), service('b', { ...cookie, match: { host: 'example.com' } })])).toEqual([]);
    // A wildcard host covers the other's: the same browser cookie jar entry.
    expect(cookieWarnings([service('a', { ...cookie, match: { host: '*.example.com' } }), service('b', { ...cookie, match: { host: 'b.example.com' } })])).toHaveLength(1);
  });
});

describe('config values', () => {
  it('applies defaults and converts units to milliseconds and bytes', () => {
    const { config } = loadConfigFile(join(FIXTURES, 'valid/full-core.yaml'), { env });
    const l = config.listeners[0]!;
    expect(l.timeouts).toEqual({ headers: 5000, request: 120_000, keepAlive: 1500, send: 30_000 });
    expect(l.limits.maxHeaderSize).toBe(8192);
    expect(l.limits.maxBodySize).toBe(10 * 1024 * 1024);
    expect(config.services[0]!.upstream.timeouts.bodyIdle).toBe(3_600_000);
    expect(config.admin.users[0]!.password).toBe('pw');
    expect(config.shutdownTimeout).toBe(30_000);
    const minimal = loadConfigFile(join(FIXTURES, 'valid/minimal.yaml')).config;
    expect(minimal.services[0]!.router).toBe('round-robin');
    expect(minimal.services[0]!.match.pathPrefix).toBe('/');
    expect(minimal.listeners[0]!.limits.maxInFlight).toBe(16);
    expect(minimal.admin.listen).toBe('127.0.0.1:8989');
  });

  it('substitutes ${VAR} with defaults and escapes, but never in keys', () => {
    const { config } = validateConfig(
      {
        listeners: [{ name: 'main', listen: '${SG_HOST:-127.0.0.1}:${SG_PORT}' }],
        servers: [{ name: 'a', url: 'http://127.0.0.1:9001/$${literal}' }],
        services: [{ name: 's', listener: 'main', servers: ['a'] }],
      },
      'inline',
      { env: { SG_PORT: '8181' } },
    );
    expect(config.listeners[0]!.listen).toBe('127.0.0.1:8181');
    expect(config.servers[0]!.url).toBe('http://127.0.0.1:9001/${literal}');
  });

  it('reports a missing variable at the field that uses it', () => {
    expect(() =>
      validateConfig({ listeners: [{ name: 'main', listen: '${NOPE_NOT_SET}' }], servers: [], services: [] }, 'inline', { env: {} }),
    ).toThrow(/listeners\[0\]\.listen: environment variable NOPE_NOT_SET is not set/);
  });

  it('parses durations, sizes and listen addresses', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('8h')).toBe(28_800_000);
    expect(() => parseDuration('5 parsecs')).toThrow();
    expect(parseSize('16kb')).toBe(16_384);
    expect(parseSize('2MiB')).toBe(2_097_152);
    expect(parseSize(10)).toBe(10);
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseListen(':80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(() => parseListen('::1:80')).toThrow(/\[addr\]:port/);
    expect(() => parseListen('host:99999')).toThrow(/port/);
  });
});
