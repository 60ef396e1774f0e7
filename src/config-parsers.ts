/** The variables table's building blocks (./config.ts): one entry's shape (`v`) and the value parsers. */
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable}: ${message}`);
  }
}

export const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
export const port = () => int(1, 65535);
export const rate = () =>
  z
    .string()
    .trim()
    .regex(/^\d*\.?\d+$/, 'must be a number between 0 and 1')
    .transform(Number)
    .pipe(z.number().min(0).max(1));
export const bool = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const list = () =>
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/**
 * One environment variable: where its value lands in `Config` (a dotted path), its parser, its default and
 * its documentation (the README's table).
 */
export interface VarSpec<K extends string, T> {
  key: K;
  schema: z.ZodType<T, string>;
  default?: string;
  doc: string;
}
export function v<K extends string, T>(key: K, schema: z.ZodType<T, string>, doc: string): VarSpec<K, T>;
export function v<K extends string, T>(
  key: K,
  schema: z.ZodType<T, string>,
  doc: string,
  def: string,
): VarSpec<K, T> & { default: string };
export function v<K extends string, T>(
  key: K,
  schema: z.ZodType<T, string>,
  doc: string,
  def?: string,
): VarSpec<K, T> {
  return def === undefined ? { key, schema, doc } : { key, schema, doc, default: def };
}

/** One variable's value: its default when unset or empty, else the parsed text; a ConfigError names it. */
export function parseVariable(
  name: string,
  spec: VarSpec<string, unknown>,
  given: string | undefined,
): unknown {
  const value = given === undefined || given === '' ? spec.default : given;
  if (value === undefined) return undefined;
  const result = spec.schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(name, `${issue?.message ?? 'invalid value'} (got ${JSON.stringify(given)})`);
  }
  return result.data;
}
