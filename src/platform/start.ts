/**
 * `npm start`: the whole stack on one machine, no Docker (see stack.ts for what runs), with a banner that
 * prints the API URL, the Web UI URL and ready-to-paste demo credentials, and the processes' log lines
 * (readable in a terminal, JSON otherwise: LOG_FORMAT, log-format.ts). Ctrl-C / SIGTERM stops everything.
 */
import { ConfigError, loadConfig } from '../config';
import { chooseLogFormat, jsonLine, prettyLine } from './log-format';
import { launchStack, type Stack } from './stack';

function say(msg: string): void {
  process.stdout.write(`[start] ${msg}\n`);
}

let stack: Stack | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping the API, workers, carrier, Kafka, Temporal and Postgres...`);
  await stack?.stop();
  say('stopped.');
  process.exit(0);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const config = loadConfig(process.env);
  const quiet = config.logLevel === 'silent';
  const tty = process.stdout.isTTY === true;
  const format = chooseLogFormat(config.logFormat, tty);
  const color = tty && process.stdout.hasColors();
  stack = await launchStack({
    say,
    // `npm start -- --cluster`: real Temporal server nodes on Postgres (src/platform/temporal-cluster.ts)
    cluster: process.argv.includes('--cluster'),
    onChildLine: (name, line) => {
      if (quiet || name === 'postgres' || line.trim() === '') return;
      process.stdout.write(format === 'pretty' ? prettyLine(name, line, { color }) : jsonLine(name, line));
    },
  });
  const s = stack;
  s.supervisor.on('event', (e) => {
    if (e.type === 'started')
      say(`${e.name} running (pid ${e.pid}${e.restarts ? `, restart #${e.restarts}` : ''})`);
    else if (!stopping) {
      say(
        `${e.name} exited (code ${e.code}, signal ${e.signal})` +
          (e.willRestartInMs !== undefined ? `; restarting in ${e.willRestartInMs} ms` : ''),
      );
    }
  });
  for (const name of s.supervisor.names()) say(`${name} running (pid ${s.supervisor.pid(name)})`);
  const creds = await s.credentials();
  const kafka = s.kafkaBrokers.join(',');
  const lines = [
    '',
    '────────────────────────────────────────────────────────────────────────────',
    ` order-saga is ${s.apiUp ? 'up' : 'starting (API not answering yet)'} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    `   API          ${s.apiUrl}        (OpenAPI: ${s.apiUrl}/openapi.json)`,
    ...s.apiUrls.slice(1).map((u) => `   API          ${u}        (another instance)`),
    `   Temporal UI  ${s.uiUrl ?? '(external cluster)'}${s.uiUp ? '' : '  (not answering yet)'}`,
    ...(s.cluster
      ? [
          `   Temporal     ${s.cluster.address} → ${s.cluster.nodes.map((n) => `${n.name} ${n.frontendAddress}`).join(', ')} (server ${s.cluster.serverVersion})`,
        ]
      : []),
    `   Postgres     ${(s.postgres?.tcpUrl ?? s.databaseUrl).replace(/:[^:@/]+@/, ':***@')}`,
    s.kafkaBrokers.length === 0
      ? '   Kafka        off (BUS_ENABLED=false): no bus, no choreography'
      : `   Kafka        ${kafka}${s.kafkaEmbedded ? `        (Kafka tools: --bootstrap-server ${kafka})` : '  (external cluster)'}`,
    '',
    ' Demo credentials (valid 24 h):',
    ...creds.map((c) => `   export ${c.envName}='${c.token}'   # ${c.description}`),
    '',
    ' Try:',
    `   curl -s -X POST ${s.apiUrl}/orders -H "Authorization: Bearer $ALICE_TOKEN" \\`,
    `     -H 'Content-Type: application/json' -H "Idempotency-Key: demo-$(date +%s)" \\`,
    `     -d '{"items":[{"sku":"SKU-KEYBOARD","quantity":1}],"shippingAddress":{"name":"Alice","line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}'`,
    '',
    ` Ctrl-C stops everything; data stays in ${s.dataDir}`,
    '────────────────────────────────────────────────────────────────────────────',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else
    process.stderr.write(
      `[start] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  process.exit(1);
});
