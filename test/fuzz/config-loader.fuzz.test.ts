import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, validateConfig } from '../../src/config/index.js';

/**
 * Property-based fuzzing of the config loader: whatever the input, it returns a config or throws a
 * ConfigError listing problems with paths — never another exception, never a hang.
 */

const valid = {
  listeners: [{ name: 'main', listen: '127.0.0.1:8080' }],
  servers: [{ name: 'a', url: 'http://127.0.0.1:9001' }],
  services: [{ name: 's', listener: 'main', servers: ['a'] }],
};

function outcome(fn: () => unknown): 'ok' | 'config-error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ConfigError) {
      expect(err.issues.length).toBeGreaterThan(0);
      for (const i of err.issues) expect(typeof i.message).toBe('string');
      return 'config-error';
    }
    throw err;
  }
}

const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('5s', '16kb', '${HOME}', '${NOPE}', '$${x}', '127.0.0.1:0', 'http://x', '-1', '1e400'));
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 5 })),
})).value;

/** Replaces one field of the valid config, somewhere, with arbitrary data. */
const mutated = fc
  .tuple(fc.constantFrom('listeners', 'servers', 'services', 'admin', 'exchange_log', 'store', 'logging', 'shutdown_timeout'), fc.string({ maxLength: 20 }), jsonish)
  .map(([section, field, value]) => {
    const c = structuredClone(valid) as Record<string, unknown>;
    const target = c[section];
    if (Array.isArray(target)) (target[0] as Record<string, unknown>)[field] = value;
    else c[section] = field ? { [field]: value } : value;
    return c;
  });

describe('fuzzing the config loader', () => {
  it('answers any object with a config or a ConfigError', () => {
    fc.assert(fc.property(jsonish, (input) => void outcome(() => validateConfig(input, 'fuzz', { env: {} }))), { numRuns: 400 });
  });

  it('answers a valid config with one field replaced by anything, naming that field when it is wrong', () => {
    fc.assert(
      fc.property(mutated, (input) => {
        try {
          validateConfig(input, 'fuzz', { env: { HOME: '/root' } });
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          for (const issue of err.issues) expect(issue.path.length + issue.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('answers any text, as YAML or JSON, with a config or a ConfigError', () => {
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: fc.constantFrom('{', '}', '[', ']', ':', ',', '-', ' ', '\n', '"', "'", '&', '*', '!', '|', '>', 'a', '1', '#', '%') , maxLength: 200 }));
    fc.assert(
      fc.property(text, fc.boolean(), (t, json) => void outcome(() => parseConfigText(t, 'fuzz', { env: {} }, json ? 'json' : 'yaml'))),
      { numRuns: 800 },
    );
  });

  it('does not blow up on YAML aliases (billion laughs)', () => {
    const laughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`;
    const started = Date.now();
    expect(outcome(() => parseConfigText(laughs, 'fuzz'))).toBe('config-error');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
