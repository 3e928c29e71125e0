/**
 * Reads the config declarations back: one entry per field with its path, type, default and description.
 * `docs/config.md` is generated from this (scripts/generate-docs.ts), so the reference cannot drift.
 */
import { z } from 'zod';

export interface FieldDoc {
  /** `listeners[].limits.max_body_size` */
  path: string;
  type: string;
  /** As it would be written in the file; undefined when the field has no default. */
  default: string | undefined;
  required: boolean;
  description: string;
  /** Can be changed at run time (admin API) without a restart. */
  runtime: boolean;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  entries?: Record<string, string>;
  options?: z.ZodType[];
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  values?: unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;
const metaOf = (s: z.ZodType): Record<string, unknown> => (z.globalRegistry.get(s) as Record<string, unknown> | undefined) ?? {};

interface Unwrapped {
  base: z.ZodType;
  description: string;
  default: unknown;
  hasDefault: boolean;
  optional: boolean;
  format: string | undefined;
  runtime: boolean;
}

function unwrap(schema: z.ZodType): Unwrapped {
  const out: Unwrapped = { base: schema, description: '', default: undefined, hasDefault: false, optional: false, format: undefined, runtime: false };
  let s: z.ZodType | undefined = schema;
  while (s) {
    const meta = metaOf(s);
    if (!out.description && typeof meta.description === 'string') out.description = meta.description;
    if (out.format === undefined && typeof meta.format === 'string') out.format = meta.format;
    if (meta.runtime === true) out.runtime = true;
    const def = defOf(s);
    out.base = s;
    if (def.type === 'default' || def.type === 'prefault') {
      if (!out.hasDefault) {
        out.hasDefault = true;
        out.default = def.defaultValue;
      }
      s = def.innerType;
    } else if (def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly') {
      out.optional = true;
      s = def.innerType;
    } else if (def.type === 'pipe' && out.format === undefined) {
      s = def.in;
    } else {
      break;
    }
  }
  return out;
}

function typeName(u: Unwrapped): string {
  if (u.format) return u.format;
  const def = defOf(u.base);
  switch (def.type) {
    case 'enum':
      return Object.values(def.entries ?? {}).map((v) => `\`${v}\``).join(' \\| ');
    case 'literal':
      return (def.values ?? []).map((v) => `\`${String(v)}\``).join(' \\| ');
    case 'array': {
      const el = unwrap(def.element!);
      return defOf(el.base).type === 'object' ? 'list' : `list of ${typeName(el)}`;
    }
    case 'record':
      return `map of ${typeName(unwrap(def.valueType!))}`;
    case 'union':
      return (def.options ?? []).map((o) => typeName(unwrap(o))).join(' or ');
    case 'number':
    case 'int':
      return 'number';
    default:
      return def.type;
  }
}

function formatDefault(value: unknown, format: string | undefined): string {
  if (typeof value === 'number' && format === 'duration') {
    for (const [unit, ms] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (value >= ms && value % ms === 0) return `${value / ms}${unit}`;
    return `${value}ms`;
  }
  if (typeof value === 'number' && format === 'size') {
    for (const [unit, b] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) if (value >= b && value % b === 0) return `${value / b}${unit}`;
    return String(value);
  }
  return JSON.stringify(value);
}

/** Every field of a section schema, depth first, in declaration order. */
export function describeSchema(schema: z.ZodType, prefix = ''): FieldDoc[] {
  const docs: FieldDoc[] = [];
  const u = unwrap(schema);
  const def = defOf(u.base);
  if (def.type !== 'object') return docs;
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const f = unwrap(field);
    const path = prefix ? `${prefix}.${key}` : key;
    const fdef = defOf(f.base);
    const isObject = fdef.type === 'object';
    const isObjectList = fdef.type === 'array' && defOf(unwrap(fdef.element!).base).type === 'object';
    const hasObjectDefault = f.hasDefault && typeof f.default === 'object' && f.default !== null && !Array.isArray(f.default);
    docs.push({
      path,
      type: isObject ? 'section' : typeName(f),
      default: f.hasDefault && !hasObjectDefault ? formatDefault(f.default, f.format) : undefined,
      required: !f.hasDefault && !f.optional,
      description: f.description,
      runtime: f.runtime,
    });
    if (isObject) docs.push(...describeSchema(f.base, path));
    if (isObjectList) docs.push(...describeSchema(fdef.element!, `${path}[]`));
  }
  return docs;
}
