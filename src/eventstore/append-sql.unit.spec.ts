import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendSql } from './append-sql';
import { quoteSchema } from './sql';

describe('append SQL', () => {
  it('binds scalars for one event and arrays for a batch', () => {
    const single = appendSql('orders', 'expected', {
      single: true,
      explicitOutbox: false,
      publish: false,
      notify: false,
      guardIds: false,
    });
    assert.doesNotMatch(single, /uuid\[\]|unnest/);
    assert.match(single, /cur\.v = \$3::bigint/);
    assert.doesNotMatch(single, /ON CONFLICT/);
    const batch = appendSql('orders', 'no_stream', {
      single: false,
      explicitOutbox: false,
      publish: false,
      notify: false,
      guardIds: false,
    });
    assert.match(batch, /unnest\(\$4::uuid\[\]/);
    // a batch must not write part of itself: a lost race fails it on the unique index instead
    assert.doesNotMatch(batch, /ON CONFLICT/);
    assert.doesNotMatch(batch, /streams/);
  });

  it('writes outbox rows and notifies only when asked', () => {
    const plain = appendSql('orders', 'any', {
      single: true,
      explicitOutbox: false,
      publish: false,
      notify: false,
      guardIds: false,
    });
    assert.doesNotMatch(plain, /outbox|pg_notify/);
    const both = appendSql('orders', 'any', {
      single: false,
      explicitOutbox: true,
      publish: true,
      notify: true,
      guardIds: false,
    });
    assert.match(both, /INSERT INTO "orders"\.outbox[\s\S]*INSERT INTO "orders"\.outbox/);
    assert.match(both, /pg_notify\(\$15::text/);
    const published = appendSql('orders', 'any', {
      single: true,
      explicitOutbox: false,
      publish: true,
      notify: true,
      guardIds: false,
    });
    assert.match(published, /pg_notify\(\$10::text/);
    const later = appendSql('orders', 'any', {
      single: true,
      explicitOutbox: false,
      publish: true,
      notify: false,
      guardIds: false,
    });
    assert.match(later, /INSERT INTO "orders"\.outbox/);
    assert.doesNotMatch(later, /pg_notify/);
  });

  it("checks the event ids inside the statement only when asked (appends in a caller's transaction)", () => {
    const shape = { single: true, explicitOutbox: false, publish: false, notify: false };
    assert.doesNotMatch(
      appendSql('orders', 'expected', { ...shape, guardIds: false }),
      /NOT EXISTS|ON CONFLICT/,
    );
    // one event in a caller's transaction: DO NOTHING covers the id and version indexes
    assert.match(appendSql('orders', 'expected', { ...shape, guardIds: true }), /ON CONFLICT DO NOTHING/);
    assert.match(
      appendSql('orders', 'no_stream', { ...shape, single: false, guardIds: true }),
      /NOT EXISTS \(SELECT 1 FROM "orders"\.events WHERE event_id = ANY\(\$4::uuid\[\]\)\)/,
    );
  });

  it('accepts only plain schema names', () => {
    assert.equal(quoteSchema('orders'), '"orders"');
    assert.throws(() => quoteSchema('orders"; DROP TABLE x; --'));
    assert.throws(() => quoteSchema('Orders'));
  });
});
