/**
 * How `npm start` prints its processes' log lines (LOG_FORMAT): in a terminal one readable line each (time,
 * process, level, message and the few fields that identify an order, a request or an error), from pino's JSON
 * and the Temporal dev server's logfmt alike; elsewhere the processes' own lines as JSON, as log shippers
 * expect.
 */
import type { LogFormatSetting } from '../config';

export type LogFormat = 'pretty' | 'json';

export function chooseLogFormat(setting: LogFormatSetting, stdoutIsTTY: boolean): LogFormat {
  if (setting === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  return setting;
}

/** Fields shown on a readable line when present, in this order; the JSON has all of them. */
const KEY_FIELDS = [
  'orderId',
  'workflowId',
  'activityType',
  'state',
  'method',
  'route',
  'status',
  'durationMs',
];
const ERROR_FIELDS = ['err', 'error'];
const PINO_LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLOURS: Record<string, number> = {
  TRACE: 90,
  DEBUG: 90,
  INFO: 32,
  WARN: 33,
  ERROR: 31,
  FATAL: 31,
};
const NAME_WIDTH = 10;

/** one parsed log line (JSON or logfmt) */
type Entry = Record<string, unknown>;

function parseObject(line: string): Entry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Entry)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The Temporal dev server's logfmt lines: `time=… level=WARN msg="…" key=value …`. */
function parseLogfmt(line: string): Entry | undefined {
  if (!/^time=\S+ level=\w+ msg=/.test(line)) return undefined;
  const entry: Entry = {};
  for (const [, key, raw] of line.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    entry[key!] = raw!.startsWith('"') ? unquote(raw!) : raw;
  }
  return entry;
}

function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

function clock(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function timeOf(entry: Entry, now: number): Date {
  const t = entry.time ?? entry.ts;
  const at = typeof t === 'number' || typeof t === 'string' ? new Date(t) : new Date(now);
  return Number.isNaN(at.getTime()) ? new Date(now) : at;
}

function levelOf(entry: Entry): string {
  const l = entry.level;
  if (typeof l === 'number') return PINO_LEVELS[l] ?? String(l);
  return typeof l === 'string' ? l.toUpperCase() : 'INFO';
}

function show(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `err="Type: message"`, and the stack's frames below the line for errors and worse. */
function showError(err: unknown, severe: boolean): { field: string; stack: string[] } {
  if (err === null || typeof err !== 'object') return { field: show(String(err)), stack: [] };
  const e = err as { type?: unknown; name?: unknown; message?: unknown; stack?: unknown };
  const kind = typeof e.type === 'string' ? e.type : typeof e.name === 'string' ? e.name : 'Error';
  const field = JSON.stringify(`${kind}: ${typeof e.message === 'string' ? e.message : JSON.stringify(err)}`);
  const frames = severe && typeof e.stack === 'string' ? e.stack.split('\n').slice(1) : [];
  return { field, stack: frames.map((f) => `    ${f.trim()}`) };
}

export interface PrettyOptions {
  /** ANSI colours (a terminal that has them) */
  color: boolean;
  /** time for lines that carry none */
  now?: () => number;
}

/** One readable line (plus stack frames under an error) for a line `child` wrote; ends with a newline. */
export function prettyLine(child: string, line: string, opts: PrettyOptions): string {
  const paint = (code: number, text: string) => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const now = (opts.now ?? Date.now)();
  const name = paint(36, child.padEnd(NAME_WIDTH));
  const entry = parseObject(line) ?? parseLogfmt(line);
  if (!entry) return `${paint(2, clock(new Date(now)))} ${name} ${' '.repeat(5)} ${line}\n`;
  const level = levelOf(entry);
  const message = entry.msg ?? entry.message;
  const fields = KEY_FIELDS.filter((k) => entry[k] !== undefined).map((k) => `${k}=${show(entry[k])}`);
  const severe = level === 'ERROR' || level === 'FATAL';
  const stack: string[] = [];
  for (const k of ERROR_FIELDS) {
    if (entry[k] === undefined) continue;
    const shown = showError(entry[k], severe);
    fields.push(`${k}=${shown.field}`);
    stack.push(...shown.stack);
  }
  const head = [
    paint(2, clock(timeOf(entry, now))),
    name,
    paint(LEVEL_COLOURS[level] ?? 0, level.padEnd(5)),
    typeof message === 'string' ? message : show(message ?? ''),
  ].join(' ');
  const tail = fields.length ? `  ${paint(2, fields.join(' '))}` : '';
  return [head + tail, ...stack.map((f) => paint(2, f))].join('\n') + '\n';
}

/** The line as JSON: a process's own JSON line unchanged, any other line wrapped as a pino-shaped record. */
export function jsonLine(child: string, line: string, now: () => number = Date.now): string {
  if (parseObject(line)) return line + '\n';
  return JSON.stringify({ level: 30, time: now(), service: child, msg: line }) + '\n';
}
