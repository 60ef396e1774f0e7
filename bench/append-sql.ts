/**
 * `npm run bench:append-sql`: what one append statement costs next to a plain INSERT, statement by statement,
 * without the store's JavaScript around it. One writer, one stream per variant, durable throwaway Postgres;
 * the variants alternate in short slices (BENCH_SLICES, default 30, of 800 statements each) and each prints
 * its median rate and that ÷ the plain INSERT's:
 *   plain       INSERT … VALUES into a table LIKE orders.events INCLUDING ALL (the bench's baseline)
 *   checked     the store's optimistic version check (insert only if max(version) = expected), no RETURNING
 *   returning   the same, RETURNING global_position, version (what the append needs back)
 *   store       the same, also RETURNING recorded_at (the store's one-event statement without outbox)
 * Prints to stdout only (a diagnostic, not part of `npm run bench`).
 */
import { randomUUID } from 'node:crypto';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { startThrowawayPostgres } from '../src/platform/postgres';

const SLICES = Number(process.env.BENCH_SLICES ?? 30);
const PER_SLICE = 800;

async function main(): Promise<void> {
  const pg = await startThrowawayPostgres({ durability: 'durable' });
  const pool = createPool(pg.url, { max: 2, applicationName: 'bench-append-sql' });
  try {
    await migrate(pg.url);
    await pool.query('CREATE TABLE public.plain_events (LIKE orders.events INCLUDING ALL)');
    const data = JSON.stringify({
      orderId: 'bench',
      lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
    });
    const meta = JSON.stringify({ correlationId: 'bench', workflowId: 'order-bench' });
    const checked = `INSERT INTO orders.events (stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
       SELECT $1, cur.v + 1, $3::uuid, $4::text, $5::int, $6::jsonb, $7::jsonb, statement_timestamp()
       FROM (SELECT coalesce(max(version), 0) AS v FROM orders.events WHERE stream_id = $1) cur
       WHERE cur.v = $2::bigint`;
    const variants: Record<string, string> = {
      plain: `INSERT INTO public.plain_events (stream_id, version, event_id, event_type, schema_version, data, metadata)
              VALUES ($1, $2::bigint + 1, $3, $4, $5, $6, $7)`,
      checked,
      returning: `${checked} RETURNING global_position, version`,
      store: `${checked} RETURNING global_position, version, recorded_at`,
    };
    const names = Object.keys(variants);
    const streams = Object.fromEntries(names.map((n) => [n, `${n}-${randomUUID()}`]));
    const next = Object.fromEntries(names.map((n) => [n, 0]));
    const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let slice = 0; slice <= SLICES; slice++) {
      for (const name of slice % 2 ? [...names].reverse() : names) {
        const t0 = performance.now();
        for (let i = 0; i < PER_SLICE; i++) {
          const r = await pool.query({
            name: `append_sql_${name}`,
            text: variants[name]!,
            values: [streams[name], next[name], randomUUID(), 'BenchEvent', 1, data, meta],
          });
          if (r.rowCount !== 1) throw new Error(`${name}: nothing written`);
          next[name]! += 1;
        }
        // slice 0 warms up connections and plans
        if (slice > 0) rates[name]!.push((PER_SLICE / (performance.now() - t0)) * 1000);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const base = median(rates.plain!);
    for (const name of names) {
      const m = median(rates[name]!);
      console.log(
        `${name.padEnd(10)} ${m.toFixed(0).padStart(6)}/s  ${(m / base).toFixed(3)} of plain INSERT`,
      );
    }
  } finally {
    await pool.end();
    await pg.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
