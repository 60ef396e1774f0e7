/** The parsers of environment variable values that src/config.ts's VARIABLES use (strings in, typed values out). */
import { z } from 'zod';

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
