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
  /**
   * Set on the fields of a union's variants: the field is allowed only when each of these discriminators has one
   * of its values (outermost union first). `store.url` has `[{ discriminator: 'store.type', values: ['redis'] }]`.
   */
  when?: VariantCondition[];
}

export interface VariantCondition {
  /** Path of the field that selects the variant, e.g. `services[].upstream.auth.type`; undefined when no field does. */
  discriminator: string | undefined;
  /** Its values (literals) that allow the field, or, without a discriminator, variant numbers counted from 1. */
  values: string[];
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
  discriminator?: string;
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
      return isSectionLike(el.base) ? 'list' : `list of ${typeName(el)}`;
    }
    case 'record':
      return `map of ${typeName(unwrap(def.valueType!))}`;
    case 'object':
      return 'section';
    case 'union':
      return [...new Set((def.options ?? []).map((o) => typeName(unwrap(o))))].join(' or ');
    case 'number':
    case 'int':
      return 'number';
    default:
      return def.type;
  }
}

/** A value as it would be written in a file: durations as `5s`, sizes as `16kb`, anything else unchanged. */
function asWritten(value: unknown, format: string | undefined): unknown {
  if (typeof value === 'number' && format === 'duration') {
    for (const [unit, ms] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (value >= ms && value % ms === 0) return `${value / ms}${unit}`;
    return `${value}ms`;
  }
  if (typeof value === 'number' && format === 'size') {
    for (const [unit, b] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) if (value >= b && value % b === 0) return `${value / b}${unit}`;
    return value;
  }
  return value;
}

function formatDefault(value: unknown, format: string | undefined): string {
  const written = asWritten(value, format);
  return typeof written === 'string' && written !== value ? written : JSON.stringify(written);
}

/**
 * The default of a field as it would be written in the file (`"10s"` for a duration), or undefined when it has
 * none. For the JSON Schema: zod leaves out the defaults of fields that transform their input, as its default is
 * an output value.
 */
export function defaultAsWritten(schema: z.core.$ZodType): unknown {
  const u = unwrap(schema as z.ZodType);
  return u.hasDefault ? asWritten(u.default, u.format) : undefined;
}

/** The object variants of a union (after unwrapping), or undefined when `base` is not a union with objects in it. */
function objectOptions(base: z.ZodType): z.ZodType[] | undefined {
  const def = defOf(base);
  if (def.type !== 'union') return undefined;
  const objects = (def.options ?? []).map((o) => unwrap(o).base).filter((o) => defOf(o).type === 'object');
  return objects.length > 0 ? objects : undefined;
}

/** A section: an object, or a union with objects among its options (`store`, `services[].upstream.auth`). */
const isSectionLike = (base: z.ZodType): boolean => defOf(base).type === 'object' || objectOptions(base) !== undefined;

/** The literal values of `key` in an object variant, or undefined when that field is not a literal. */
function literalValues(variant: z.ZodType, key: string): string[] | undefined {
  const field = defOf(variant).shape?.[key];
  if (!field) return undefined;
  const def = defOf(unwrap(field).base);
  return def.type === 'literal' ? (def.values ?? []).map(String) : undefined;
}

/** The field that tells a union's object variants apart: zod's discriminator, or a literal field all of them have. */
function discriminatorOf(union: z.ZodType, variants: z.ZodType[]): string | undefined {
  const declared = defOf(union).discriminator;
  if (declared !== undefined) return declared;
  const keys = Object.keys(defOf(variants[0]!).shape ?? {});
  return keys.find((k) => variants.every((v) => literalValues(v, k) !== undefined));
}

/** Two rows of one field declared the same way in two variants of the same union (`when[0]`). */
const sameField = (a: FieldDoc, b: FieldDoc): boolean =>
  a.path === b.path && a.type === b.type && a.default === b.default && a.required === b.required &&
  a.description === b.description && a.runtime === b.runtime && JSON.stringify(a.when?.slice(1)) === JSON.stringify(b.when?.slice(1));

const listOf = (values: string[]): string =>
  values.length === 1 ? values[0]! : `${values.slice(0, -1).join(', ')} and ${values.at(-1)!}`;

/**
 * The fields of a union's object variants: first the discriminator (one row, its values as the type), then each
 * variant's other fields marked with the variant's value(s). A field declared the same way in several variants
 * (`credentials` of the upstream auth kinds) is one row naming all of them.
 */
function describeVariants(u: Unwrapped, variants: z.ZodType[], prefix: string): FieldDoc[] {
  const key = discriminatorOf(u.base, variants);
  const at = (k: string): string => (prefix ? `${prefix}.${k}` : k);
  const docs: FieldDoc[] = [];
  let selector: FieldDoc | undefined;
  if (key !== undefined) {
    const chosen = u.hasDefault && typeof u.default === 'object' && u.default !== null ? (u.default as Record<string, unknown>)[key] : undefined;
    selector = {
      path: at(key),
      type: variants.flatMap((v) => literalValues(v, key)!).map((v) => `\`${v}\``).join(' \\| '),
      default: chosen !== undefined ? JSON.stringify(chosen) : undefined,
      required: chosen === undefined,
      description: `Selects the variant: a field below marked (${key}: …) is allowed only when \`${key}\` is one of those.`,
      runtime: false,
    };
    docs.push(selector);
  }
  const withoutFields: string[] = [];
  variants.forEach((variant, i) => {
    const values = key === undefined ? [String(i + 1)] : literalValues(variant, key)!;
    const fields = describeSchema(variant, prefix).filter((f) => key === undefined || f.path !== at(key));
    if (fields.length === 0) withoutFields.push(...values.map((v) => `\`${v}\``));
    if (key === undefined && variants.length === 1) {
      docs.push(...fields);
      return;
    }
    for (const field of fields) {
      const row: FieldDoc = { ...field, when: [{ discriminator: key === undefined ? undefined : at(key), values: [...values] }, ...(field.when ?? [])] };
      const same = docs.find((d) => d.when && sameField(d, row));
      if (same) same.when![0]!.values.push(...values);
      else docs.push(row);
    }
  });
  if (selector && withoutFields.length > 0) selector.description += ` ${listOf(withoutFields)} ${withoutFields.length === 1 ? 'has' : 'have'} no other fields.`;
  return docs;
}

/**
 * Every field of a section schema, depth first, in declaration order. The fields of a union's variants follow
 * its discriminator (`store.type`), each marked with the variants it belongs to (`when`).
 */
export function describeSchema(schema: z.ZodType, prefix = ''): FieldDoc[] {
  const docs: FieldDoc[] = [];
  const u = unwrap(schema);
  const def = defOf(u.base);
  const variants = objectOptions(u.base);
  if (variants) return describeVariants(u, variants, prefix);
  if (def.type !== 'object') return docs;
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const f = unwrap(field);
    const path = prefix ? `${prefix}.${key}` : key;
    const fdef = defOf(f.base);
    const isSection = isSectionLike(f.base);
    const isSectionList = fdef.type === 'array' && isSectionLike(unwrap(fdef.element!).base);
    // A section's default (`{}`, `{ type: 'memory' }`) shows in its fields' defaults instead; a map's is its own.
    const hasObjectDefault = isSection && f.hasDefault && typeof f.default === 'object' && f.default !== null;
    docs.push({
      path,
      type: typeName(f),
      default: f.hasDefault && !hasObjectDefault ? formatDefault(f.default, f.format) : undefined,
      required: !f.hasDefault && !f.optional,
      description: f.description,
      runtime: f.runtime,
    });
    if (isSection) docs.push(...describeSchema(field, path));
    if (isSectionList) docs.push(...describeSchema(fdef.element!, `${path}[]`));
  }
  return docs;
}
