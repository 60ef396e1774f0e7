/**
 * The independent consumer's verdict on `orders.events` (read by oracle/kafka-read.ts with the Kafka
 * distribution's console consumer, not the project's client): every order event the orders relay marked
 * delivered is there exactly once by event id, and per key the versions come in increasing order.
 */
import type { Published } from './bus';
import type { BusRead } from './kafka-read';

export interface IndependentRead {
  /** distinct event ids read */
  events: number;
  /** messages whose event id was read before */
  duplicates: number;
  /** messages whose version is not above the previous one of their key (in partition order) */
  outOfOrder: number;
  /** delivered outbox rows whose event id was not read (or the messages the offsets promised but the read missed) */
  missing: number;
}

export function independentRead(
  read: BusRead | undefined,
  topic: string,
  published: readonly Published[],
): IndependentRead {
  const records = read?.topics[topic];
  if (!read || !records)
    return { events: 0, duplicates: 0, outOfOrder: 0, missing: Math.max(1, published.length) };
  const ids = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  const last = new Map<string, { partition: number; version: number }>();
  for (const r of records) {
    const repeat = ids.has(r.eventId);
    if (repeat) duplicates += 1;
    else ids.add(r.eventId);
    const prev = last.get(r.key);
    // a key's messages stay in one partition, each version above the one before (a repeat is a duplicate)
    const wrong =
      Number.isNaN(r.version) ||
      (prev !== undefined &&
        (prev.partition !== r.partition ||
          r.version < prev.version ||
          (r.version === prev.version && !repeat)));
    if (wrong) outOfOrder += 1;
    if (!prev || r.version > prev.version) last.set(r.key, { partition: r.partition, version: r.version });
  }
  const missingIds = published.filter((p) => p.delivered && !ids.has(p.eventId)).length;
  const short = Math.max(0, (read.expected[topic] ?? 0) - records.length);
  return { events: ids.size, duplicates, outOfOrder, missing: Math.max(missingIds, short) };
}
