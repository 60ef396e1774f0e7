/**
 * De-duplication for at-least-once subscribers: a message's effect and the record that it was processed
 * commit in one transaction, so a redelivered message changes nothing.
 */
import type { Pool, PoolClient } from 'pg';
import { quoteSchema } from './sql';

/**
 * Runs fn once per (subscriber, message id): records the message in `<schema>.processed_messages` in the same
 * transaction as fn's writes. Returns false (and runs nothing) for a message already processed.
 */
export async function processOnce(
  pool: Pool,
  schema: string,
  subscriber: string,
  messageId: string,
  fn: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  const s = quoteSchema(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const r = await client.query(
      `INSERT INTO ${s}.processed_messages (subscriber, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [subscriber, messageId],
    );
    if (r.rowCount === 0) {
      await client.query('ROLLBACK');
      return false;
    }
    await fn(client);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
