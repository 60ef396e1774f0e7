/**
 * `npm start`'s log lines: the choice between readable and JSON (LOG_FORMAT, the terminal), and what a
 * readable line shows for lines written by a real pino logger configured as the processes configure theirs.
 */
process.env.TZ = 'UTC'; // readable lines show local time; fixed here so the expected text is exact

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import { chooseLogFormat, jsonLine, prettyLine } from './log-format';

const AT = Date.UTC(2026, 0, 2, 12, 34, 56, 789); // 12:34:56.789
const plain = { color: false, now: () => AT };

/** The lines a pino logger with this service name writes for `log(logger)`. */
function pinoLines(service: string, log: (logger: pino.Logger) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino(
    { base: { service, pid: 4242, hostname: 'box' }, timestamp: () => `,"time":${AT}` },
    sink,
  );
  log(logger);
  return lines;
}

describe('log format', () => {
  it('auto is readable in a terminal and JSON when stdout is not one; pretty and json are forced', () => {
    assert.equal(chooseLogFormat('auto', true), 'pretty');
    assert.equal(chooseLogFormat('auto', false), 'json');
    assert.equal(chooseLogFormat('json', true), 'json');
    assert.equal(chooseLogFormat('pretty', false), 'pretty');
  });

  it('LOG_FORMAT defaults to auto and refuses an unknown format, naming the variable', () => {
    assert.equal(loadConfig({}).logFormat, 'auto');
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.throws(
      () => loadConfig({ LOG_FORMAT: 'yaml' }),
      (err: unknown) => err instanceof ConfigError && err.variable === 'LOG_FORMAT',
    );
  });

  it('a readable line shows time, process, level, message, the order fields, and nothing else', () => {
    const [line] = pinoLines('worker-orders', (l) =>
      l.info(
        {
          orderId: 'o-1',
          workflowId: 'order-o-1',
          namespace: 'default',
          runId: 'r-9',
          sdkComponent: 'workflow',
        },
        'order saga started',
      ),
    );
    assert.equal(
      prettyLine('orders', line!, plain),
      '12:34:56.789 orders     INFO  order saga started  orderId=o-1 workflowId=order-o-1\n',
    );
  });

  it('a request line shows method, route, status and duration; a field with spaces is quoted', () => {
    const [line] = pinoLines('api', (l) =>
      l
        .child({ requestId: 'req-1' })
        .warn({ method: 'POST', route: '/orders', status: 409, durationMs: 12 }, 'x y'),
    );
    assert.equal(
      prettyLine('api', line!, plain),
      '12:34:56.789 api        WARN  x y  method=POST route=/orders status=409 durationMs=12\n',
    );
    const [quoted] = pinoLines('api', (l) => l.info({ orderId: 'has space' }, 'm'));
    assert.match(prettyLine('api', quoted!, plain), / m {2}orderId="has space"\n$/);
  });

  it('an error shows err as type and message, with the stack frames indented below it', () => {
    const [line] = pinoLines('api', (l) => l.error({ err: new TypeError('boom') }, 'request failed'));
    const [first, ...frames] = prettyLine('api', line!, plain).trimEnd().split('\n');
    assert.equal(first, '12:34:56.789 api        ERROR request failed  err="TypeError: boom"');
    assert.ok(frames.length > 0, 'no stack frames');
    for (const f of frames) assert.match(f, /^ {4}at /);
  });

  it('a warning with an error keeps to one line; an err given as a string is shown as it is', () => {
    const [obj] = pinoLines('orders', (l) => l.warn({ err: new Error('lost') }, 'relay: connection lost'));
    assert.equal(
      prettyLine('orders', obj!, plain),
      '12:34:56.789 orders     WARN  relay: connection lost  err="Error: lost"\n',
    );
    const [text] = pinoLines('orders', (l) => l.warn({ err: 'timeout' }, 'election failed'));
    assert.equal(
      prettyLine('orders', text!, plain),
      '12:34:56.789 orders     WARN  election failed  err=timeout\n',
    );
  });

  it("the Temporal dev server's logfmt reads the same way: its time, level, message and error", () => {
    const raw =
      'time=2026-01-02T08:09:10.123 level=WARN msg="Failed to poll for task." service=worker ' +
      'Namespace=temporal-system error="dial tcp: \\"refused\\"" connectDuration=29.951µs';
    assert.equal(
      prettyLine('temporal', raw, plain),
      '08:09:10.123 temporal   WARN  Failed to poll for task.  error="dial tcp: \\"refused\\""\n',
    );
  });

  it('any other line keeps its text, with the time it was read', () => {
    const raw = 'asset workflow-bundle.js 1.65 MiB [emitted] level=x';
    assert.equal(prettyLine('orders', raw, plain), `12:34:56.789 orders           ${raw}\n`);
  });

  it('colours the level only when asked', () => {
    const [line] = pinoLines('api', (l) => l.error('bad'));
    assert.ok(!prettyLine('api', line!, plain).includes('\x1b['), 'colour codes without colour');
    assert.ok(prettyLine('api', line!, { ...plain, color: true }).includes('\x1b[31mERROR\x1b[0m'));
  });

  it('JSON output passes a process’s pino line through unchanged and wraps any other line as a record', () => {
    const [line] = pinoLines('worker-orders', (l) => l.info({ orderId: 'o-1' }, 'order saga started'));
    assert.equal(jsonLine('orders', line!), line + '\n');
    assert.deepEqual(JSON.parse(jsonLine('temporal', 'plain text', () => AT)), {
      level: 30,
      time: AT,
      service: 'temporal',
      msg: 'plain text',
    });
  });
});
