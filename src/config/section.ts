/**
 * A config section: a strict object (unknown keys are errors) whose snake_case keys become camelCase in the
 * loaded config. Keys of records (header names and the like) are data and keep their spelling.
 */
import { z } from 'zod';

type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
export type CamelKeys<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camelKeys<T extends object>(value: T): CamelKeys<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[camelCase(k)] = v;
  return out as CamelKeys<T>;
}

/** Declares a config section: each field once, with its type, default and description (`.describe()`). */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape).transform((v) => camelKeys(v as z.output<z.ZodObject<S>> & object));
}
