/**
 * `${VAR}` substitution in the string values of a parsed config (never in keys, never in the raw text, so a
 * variable cannot inject YAML structure). `${VAR:-default}` supplies a default; `$${` writes a literal `${`.
 */
import type { ConfigIssue } from './issues.js';

const VAR_RE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(VAR_RE, (match, varName: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[varName!];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path, message: `environment variable ${varName} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, issues, [...path, k]);
    return out;
  }
  return value;
}
