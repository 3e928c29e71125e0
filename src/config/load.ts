/**
 * load -> substitute ${VAR} -> validate (every problem, with its path) -> cross-check references -> freeze.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { substituteEnv } from './env.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { configSchema, type GatewayConfig } from './schema.js';
import { isPasswordHash, parsePasswordHash } from '../admin/password.js';
import { isLoopbackHost, parseListen } from './units.js';

export interface LoadedConfig {
  readonly config: GatewayConfig;
  /** Legal but risky settings, each with its path. */
  readonly warnings: readonly ConfigIssue[];
  /** Where the config came from: a file path, or a description such as "embedded demo". */
  readonly source: string;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

/** Reads and validates a YAML or JSON config file. Throws {@link ConfigError} listing every problem. */
export function loadConfigFile(file: string, options: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: [], message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return parseConfigText(text, file, options, extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
}

export function parseConfigText(text: string, source: string, options: LoadOptions = {}, format: 'yaml' | 'json' = 'yaml'): LoadedConfig {
  let raw: unknown;
  if (format === 'json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(source, [{ path: [], message: `not valid JSON: ${(err as Error).message}` }]);
    }
  } else {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(source, doc.errors.map((e) => ({ path: [], message: `not valid YAML: ${e.message.split('\n')[0]}` })));
    }
    try {
      // The yaml library refuses alias bombs ("billion laughs") and unresolved aliases here.
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new ConfigError(source, [{ path: [], message: `not valid YAML: ${(err as Error).message}` }]);
    }
  }
  return validateConfig(raw ?? {}, source, options);
}

/** Validates a config object (as a file would hold it). */
export function validateConfig(raw: unknown, source = 'inline', options: LoadOptions = {}): LoadedConfig {
  const issues: ConfigIssue[] = [];
  const substituted = substituteEnv(raw, options.env ?? process.env, issues);
  const result = configSchema.safeParse(substituted);
  if (!result.success) issues.push(...result.error.issues.map(fromZodIssue));
  else issues.push(...semanticIssues(result.data));
  issues.push(...crossCheck(substituted));
  if (issues.length > 0 || !result.success) throw new ConfigError(source, dedupe(issues));
  return { config: deepFreeze(result.data), warnings: collectWarnings(result.data), source };
}

function fromZodIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return { path, message: 'required field is missing' };
  }
  return { path, message: issue.message };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${JSON.stringify(i.path)}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** References between sections, checked on the raw input so they are reported alongside field errors. */
function crossCheck(raw: unknown): ConfigIssue[] {
  if (!isObj(raw)) return [];
  const issues: ConfigIssue[] = [];
  const names = (section: string): Set<string> => {
    const seen = new Set<string>();
    list(raw[section]).forEach((item, i) => {
      if (!isObj(item) || typeof item.name !== 'string') return;
      if (seen.has(item.name)) issues.push({ path: [section, i, 'name'], message: `duplicate name "${item.name}"` });
      seen.add(item.name);
    });
    return seen;
  };
  const listeners = names('listeners');
  const servers = names('servers');
  names('services');

  const routes = new Map<string, string>();
  list(raw.services).forEach((svc, i) => {
    if (!isObj(svc)) return;
    if (typeof svc.listener === 'string' && !listeners.has(svc.listener)) {
      issues.push({ path: ['services', i, 'listener'], message: `unknown listener "${svc.listener}"` });
    }
    list(svc.servers).forEach((s, j) => {
      if (typeof s === 'string' && !servers.has(s)) issues.push({ path: ['services', i, 'servers', j], message: `unknown server "${s}"` });
    });
    const match = isObj(svc.match) ? svc.match : {};
    const route = `${String(svc.listener)} ${String(match.host ?? '*')} ${String(match.path_prefix ?? '/').replace(/\/+$/, '')}`;
    const other = routes.get(route);
    if (other !== undefined) issues.push({ path: ['services', i, 'match'], message: `same listener, host and path prefix as service "${other}"` });
    else routes.set(route, String(svc.name));
  });

  const addresses = new Map<string, number>();
  list(raw.listeners).forEach((l, i) => {
    if (!isObj(l) || typeof l.listen !== 'string') return;
    try {
      const { host, port } = parseListen(l.listen);
      if (port === 0) return;
      const key = `${host}:${port}`;
      if (addresses.has(key)) issues.push({ path: ['listeners', i, 'listen'], message: `address already used by listeners[${addresses.get(key)}]` });
      addresses.set(key, i);
    } catch {
      // reported by the schema
    }
  });

  const admin = isObj(raw.admin) ? raw.admin : {};
  if (admin.enabled !== false && typeof admin.listen === 'string' && list(admin.users).length === 0) {
    try {
      const { host } = parseListen(admin.listen);
      if (!isLoopbackHost(host)) {
        issues.push({ path: ['admin', 'listen'], message: `"${admin.listen}" is not a loopback address: set admin.users to expose the admin API` });
      }
    } catch {
      // reported by the schema
    }
  }
  return issues;
}

/** Two `match.host` values could match the same request's Host (unset matches every host). */
function hostsOverlap(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // `*.example.com` matches subdomains only (as Service.matchesHost), another wildcard's too.
  const covers = (wild: string, host: string): boolean => wild.startsWith('*.') && host.endsWith(wild.slice(1));
  return x === y || covers(x, y) || covers(y, x);
}

/** Legal but risky combinations, reported by `check` and at start-up. */
function collectWarnings(config: GatewayConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  config.services.forEach((svc, i) => {
    const up = svc.upstream;
    const auth = up.auth;
    if (up.reuse === 'service' && auth.type !== 'none' && auth.credentials === 'client') {
      warnings.push({
        path: ['services', i, 'upstream', 'reuse'],
        message: 'reuse "service" shares one upstream session between clients; with per-client credentials each user gets its own, but consider "session" (see docs/upstream.md)',
      });
    }
    if (up.reuse === 'session' && svc.session.mode === 'none') {
      warnings.push({ path: ['services', i, 'upstream', 'reuse'], message: 'reuse "session" needs client sessions (session.mode is "none"): every request gets its own upstream context' });
    }
    // The session cookie has Path=/ and no Domain: a browser keeps one per host and name, which two such
    // services would take from each other (a client of both would get a new session at every switch).
    const other = config.services.findIndex(
      (o, j) => j < i && o.listener === svc.listener && o.session.mode === 'cookie' && svc.session.mode === 'cookie' && o.session.cookie === svc.session.cookie && hostsOverlap(o.match.host, svc.match.host),
    );
    if (other >= 0) {
      warnings.push({
        path: ['services', i, 'session', 'cookie'],
        message: `service "${config.services[other]!.name}" on the same listener uses the session cookie "${svc.session.cookie}" too: a client of both would get a new session each time it switches; give each service its own cookie name`,
      });
    }
  });
  return warnings;
}

/** Checks that need the parsed values (run only when the schema accepted the file). */
function semanticIssues(config: GatewayConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.admin.users.forEach((u, i) => {
    if (isPasswordHash(u.password) && parsePasswordHash(u.password) === null) {
      issues.push({ path: ['admin', 'users', i, 'password'], message: 'malformed scrypt hash: expected scrypt$N$r$p$salt$hash as `sessiongate hash-password` writes it' });
    }
  });
  config.services.forEach((svc, i) => {
    const auth = svc.upstream.auth;
    const at = ['services', i, 'upstream', 'auth'];
    if (auth.type === 'basic' && auth.credentials === 'config' && (auth.user === undefined || auth.password === undefined)) {
      issues.push({ path: at, message: 'basic auth with credentials "config" needs user and password' });
    }
    if (auth.type === 'bearer' && auth.credentials === 'config' && auth.token === undefined) {
      issues.push({ path: at, message: 'bearer auth with credentials "config" needs a token' });
    }
    if (auth.type === 'login') {
      for (const [field, text] of [['body', auth.body ?? ''], ['headers', JSON.stringify(auth.headers)]] as const) {
        if (auth.credentials === 'config' && /\{\{(user|password)\}\}/.test(text)) {
          issues.push({ path: [...at, field], message: '{{user}} and {{password}} need credentials "client"' });
        }
      }
      for (const [field, pattern] of [['success.body', auth.success.body], ['success.header.match', auth.success.header?.match]] as const) {
        if (pattern !== undefined && !isRegExp(pattern)) issues.push({ path: [...at, ...field.split('.')], message: `not a valid regular expression: ${pattern}` });
      }
    }
    const m = svc.upstream.expiredMatch;
    for (const [field, pattern] of [['body', m.body], ['header', m.header?.match]] as const) {
      if (pattern !== undefined && !isRegExp(pattern)) issues.push({ path: ['services', i, 'upstream', 'expired_match', field], message: `not a valid regular expression: ${pattern}` });
    }
  });
  return issues;
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
