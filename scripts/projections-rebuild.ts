/**
 * `npm run projections:rebuild [-- <name>...]`: rebuilds read models of the orders service from the event
 * log (empties the model and its checkpoints, replays every event, commits; see rebuildProjection).
 * Without names, rebuilds all of them: order_summary, customer_orders, order_analytics.
 * Database: DATABASE_URL, else the embedded Postgres that `npm start` runs (EMBEDDED_PG_PORT).
 */
import { loadConfig } from '../src/config';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { rebuildProjection } from '../src/eventstore/projections/rebuild';
import { ORDER_PROJECTIONS, ORDERS_SCHEMA } from '../src/services/orders/read-models';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const url =
    config.databaseUrl ?? `postgres://postgres:postgres@127.0.0.1:${config.embeddedPgPort}/order_saga`;
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !ORDER_PROJECTIONS.some((p) => p.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown projection(s): ${unknown.join(', ')}; known: ${ORDER_PROJECTIONS.map((p) => p.name).join(', ')}`,
    );
    process.exit(2);
  }
  const selected =
    names.length > 0 ? ORDER_PROJECTIONS.filter((p) => names.includes(p.name)) : ORDER_PROJECTIONS;
  await migrate(url);
  const pool = createPool(url, { max: 4, applicationName: 'projections-rebuild' });
  try {
    for (const p of selected) {
      const started = Date.now();
      console.log(`[rebuild] ${p.name}: replaying the ${ORDERS_SCHEMA} event log...`);
      const r = await rebuildProjection(pool, ORDERS_SCHEMA, p);
      console.log(`[rebuild] ${p.name}: ${r.applied} events applied in ${Date.now() - started} ms`);
    }
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(`[rebuild] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
