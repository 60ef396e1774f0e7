import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deciderSpec } from '../decider-spec';
import { DomainError } from '../errors';
import { inventoryDecider, itemStreamId, type InventoryCommand, type InventoryEvent } from './inventory';

const spec = deciderSpec(inventoryDecider);
const T = '2026-01-01T10:00:00.000Z';
const sku = 'SKU-1';
const defined: InventoryEvent = { type: 'ItemDefined', data: { sku, name: 'Widget', price: 500, at: T } };
const restocked = (restockId: string, quantity: number): InventoryEvent => ({
  type: 'ItemRestocked',
  data: { sku, restockId, quantity, at: T },
});
const reserved = (orderId: string, quantity: number): InventoryEvent => ({
  type: 'StockReserved',
  data: { sku, orderId, quantity, at: T },
});
const released = (orderId: string, quantity: number): InventoryEvent => ({
  type: 'StockReleased',
  data: { sku, orderId, quantity, at: T },
});
const committed = (orderId: string, quantity: number): InventoryEvent => ({
  type: 'StockCommitted',
  data: { sku, orderId, quantity, at: T },
});
/** checks the message the API and the saga show for a refusal */
const saying = (message: string) => (err: DomainError) => assert.equal(err.message, message);

describe('InventoryItem decider', () => {
  describe('catalog', () => {
    it('defining a new item creates the catalog entry', () => {
      spec.given([]).when({ type: 'DefineItem', sku, name: 'Widget', price: 500, now: T }).then([defined]);
    });
    it('defining it again with other values updates it, with the same values changes nothing', () => {
      spec
        .given([defined])
        .when({ type: 'DefineItem', sku, name: 'Widget 2', price: 600, now: T })
        .then([{ type: 'ItemUpdated', data: { sku, name: 'Widget 2', price: 600, at: T } }]);
      spec.given([defined]).when({ type: 'DefineItem', sku, name: 'Widget', price: 500, now: T }).then([]);
    });
    it('a change of the name alone or of the price alone is an update', () => {
      spec
        .given([defined])
        .when({ type: 'DefineItem', sku, name: 'Widget', price: 550, now: T })
        .then([{ type: 'ItemUpdated', data: { sku, name: 'Widget', price: 550, at: T } }]);
      spec
        .given([defined])
        .when({ type: 'DefineItem', sku, name: 'Gadget', price: 500, now: T })
        .then([{ type: 'ItemUpdated', data: { sku, name: 'Gadget', price: 500, at: T } }]);
    });
    it('updating a defined item changes its name and price, keeping its stock and creation time', () => {
      const T2 = '2026-01-02T10:00:00.000Z';
      const update = { type: 'UpdateItem', sku, name: 'Widget 2', price: 600, now: T2 } as const;
      const [event] = spec
        .given([defined, restocked('r1', 3)])
        .when(update)
        .events();
      assert.deepEqual(event, { type: 'ItemUpdated', data: { sku, name: 'Widget 2', price: 600, at: T2 } });
      const s = spec.given([defined, restocked('r1', 3), event]).state();
      assert.deepEqual([s.name, s.price, s.available, s.createdAt, s.updatedAt], ['Widget 2', 600, 3, T, T2]);
      spec.given([defined, event]).when(update).then([]);
    });
    it('updating an unknown SKU is refused', () => {
      spec
        .given([])
        .when({ type: 'UpdateItem', sku, name: 'W', price: 1, now: T })
        .thenThrows('UnknownSku', saying('Unknown SKU SKU-1'));
    });
    it('an item without a SKU is refused, and an item takes no command for another SKU', () => {
      spec
        .given([])
        .when({ type: 'DefineItem', sku: '', name: 'W', price: 1, now: T })
        .thenThrows('InvalidCommand', saying('sku is required'));
      spec
        .given([defined])
        .when({ type: 'Restock', sku: 'SKU-2', restockId: 'r1', quantity: 1, now: T })
        .thenThrows('InvalidCommand', saying('item SKU-1 got a command for SKU-2'));
    });
    it('a free item (price 0) can be defined', () => {
      spec
        .given([])
        .when({ type: 'DefineItem', sku, name: 'Sticker', price: 0, now: T })
        .then([{ type: 'ItemDefined', data: { sku, name: 'Sticker', price: 0, at: T } }]);
    });
    it('before its definition an item has no name, no price and no stock', () => {
      const s = spec.given([]).state();
      assert.deepEqual(
        [s.defined, s.sku, s.name, s.price, s.available, s.reserved, s.shipped, s.restocked],
        [false, null, '', 0, 0, 0, 0, 0],
      );
    });
    it('a negative or fractional price, or an empty name, is refused', () => {
      spec
        .given([])
        .when({ type: 'DefineItem', sku, name: 'W', price: -1, now: T })
        .thenThrows('InvalidAmount');
      spec
        .given([])
        .when({ type: 'DefineItem', sku, name: 'W', price: 1.2, now: T })
        .thenThrows('InvalidAmount', saying('price must be a non-negative integer, got 1.2'));
      spec
        .given([])
        .when({ type: 'DefineItem', sku, name: ' ', price: 1, now: T })
        .thenThrows('InvalidCommand', saying('name is required'));
      spec
        .given([])
        .when({ type: 'DefineItem', sku, name: undefined as unknown as string, price: 1, now: T })
        .thenThrows('InvalidCommand', saying('name is required'));
    });
  });

  describe('stock', () => {
    it('restock adds to available, idempotent by restock id', () => {
      spec
        .given([defined])
        .when({ type: 'Restock', sku, restockId: 'r1', quantity: 10, now: T })
        .then([restocked('r1', 10)]);
      spec
        .given([defined, restocked('r1', 10)])
        .when({ type: 'Restock', sku, restockId: 'r1', quantity: 10, now: T })
        .then([]);
      const s = spec.given([defined, restocked('r1', 10), restocked('r2', 5)]).state();
      assert.deepEqual([s.available, s.restocked], [15, 15]);
    });
    it('restock and reserve need their ids and a positive quantity, named in the refusal', () => {
      const h = [defined, restocked('r1', 10)];
      spec
        .given(h)
        .when({ type: 'Restock', sku, restockId: '', quantity: 1, now: T })
        .thenThrows('InvalidCommand', saying('restockId is required'));
      spec
        .given(h)
        .when({ type: 'Restock', sku, restockId: 'r2', quantity: 0, now: T })
        .thenThrows('InvalidAmount', saying('quantity must be a positive integer, got 0'));
      spec
        .given(h)
        .when({ type: 'Reserve', sku, orderId: '', quantity: 1, now: T })
        .thenThrows('InvalidCommand', saying('orderId is required'));
      spec
        .given(h)
        .when({ type: 'Reserve', sku, orderId: 'o1', quantity: -1, now: T })
        .thenThrows('InvalidAmount', saying('quantity must be a positive integer, got -1'));
    });
    it('stock operations on an unknown SKU are refused', () => {
      spec
        .given([])
        .when({ type: 'Restock', sku, restockId: 'r1', quantity: 1, now: T })
        .thenThrows('UnknownSku');
      spec
        .given([])
        .when({ type: 'Reserve', sku, orderId: 'o1', quantity: 1, now: T })
        .thenThrows('UnknownSku');
    });
    it('reserving moves stock from available to reserved, once per order', () => {
      const h = [defined, restocked('r1', 10)];
      spec
        .given(h)
        .when({ type: 'Reserve', sku, orderId: 'o1', quantity: 4, now: T })
        .then([reserved('o1', 4)]);
      spec
        .given([...h, reserved('o1', 4)])
        .when({ type: 'Reserve', sku, orderId: 'o1', quantity: 4, now: T })
        .then([]);
      const s = spec.given([...h, reserved('o1', 4)]).state();
      assert.deepEqual([s.available, s.reserved, s.shipped], [6, 4, 0]);
    });
    it('reserving more than available is refused with InsufficientStock', () => {
      spec
        .given([defined, restocked('r1', 3), reserved('o1', 2)])
        .when({ type: 'Reserve', sku, orderId: 'o2', quantity: 2, now: T })
        .thenThrows('InsufficientStock', (err) =>
          assert.deepEqual(err.details, { sku, available: 1, requested: 2 }),
        );
    });
    it('the last unit can be reserved', () => {
      spec
        .given([defined, restocked('r1', 1)])
        .when({ type: 'Reserve', sku, orderId: 'o1', quantity: 1, now: T })
        .then([reserved('o1', 1)]);
    });
    it('release returns the reservation to available, once; a release with nothing reserved is a no-op', () => {
      const h = [defined, restocked('r1', 10), reserved('o1', 4)];
      spec
        .given(h)
        .when({ type: 'Release', sku, orderId: 'o1', now: T })
        .then([released('o1', 4)]);
      spec
        .given([...h, released('o1', 4)])
        .when({ type: 'Release', sku, orderId: 'o1', now: T })
        .then([]);
      spec.given(h).when({ type: 'Release', sku, orderId: 'other', now: T }).then([]);
      spec.given([]).when({ type: 'Release', sku, orderId: 'other', now: T }).then([]);
      const s = spec.given([...h, released('o1', 4)]).state();
      assert.deepEqual([s.available, s.reserved, s.shipped], [10, 0, 0]);
      assert.deepEqual(s.reservations, { o1: { quantity: 4, status: 'released' } });
    });
    it('a late reserve retry after the release does not reserve again', () => {
      spec
        .given([defined, restocked('r1', 10), reserved('o1', 4), released('o1', 4)])
        .when({ type: 'Reserve', sku, orderId: 'o1', quantity: 4, now: T })
        .then([]);
    });
    it('commit moves reserved to shipped, once; release after commit is a no-op', () => {
      const h = [defined, restocked('r1', 10), reserved('o1', 4)];
      spec
        .given(h)
        .when({ type: 'Commit', sku, orderId: 'o1', now: T })
        .then([committed('o1', 4)]);
      spec
        .given([...h, committed('o1', 4)])
        .when({ type: 'Commit', sku, orderId: 'o1', now: T })
        .then([]);
      spec
        .given([...h, committed('o1', 4)])
        .when({ type: 'Release', sku, orderId: 'o1', now: T })
        .then([]);
      const s = spec.given([...h, committed('o1', 4)]).state();
      assert.deepEqual([s.available, s.reserved, s.shipped], [6, 0, 4]);
    });
    it('commit without a live reservation is refused', () => {
      spec
        .given([defined, restocked('r1', 10)])
        .when({ type: 'Commit', sku, orderId: 'o1', now: T })
        .thenThrows('InvalidTransition', (err) =>
          assert.deepEqual(err.details, {
            aggregate: 'InventoryItem',
            from: 'no reservation',
            command: 'Commit',
          }),
        );
      spec
        .given([defined, restocked('r1', 10), reserved('o1', 1), released('o1', 1)])
        .when({ type: 'Commit', sku, orderId: 'o1', now: T })
        .thenThrows('InvalidTransition', (err) =>
          assert.deepEqual(err.details, { aggregate: 'InventoryItem', from: 'released', command: 'Commit' }),
        );
    });
    it('an unknown command or event is refused loudly, not ignored', () => {
      const state = spec.given([defined]).state();
      assert.throws(
        () => inventoryDecider.decide({ type: 'Steal', sku } as unknown as InventoryCommand, state),
        /Unhandled case/,
      );
      assert.throws(
        () => inventoryDecider.evolve(state, { type: 'StockStolen', data: { sku } } as never),
        /Unhandled case/,
      );
    });
    it('an item lives in the stream item-<sku>', () => {
      assert.equal(itemStreamId('SKU-9'), 'item-SKU-9');
    });
  });

  describe('properties', () => {
    const orderId = fc.constantFrom('o1', 'o2', 'o3', 'o4');
    const qty = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, -2, 1.5));
    const command: fc.Arbitrary<InventoryCommand> = fc.oneof(
      fc.record({
        type: fc.constant('Restock' as const),
        sku: fc.constant(sku),
        restockId: fc.constantFrom('r1', 'r2', 'r3'),
        quantity: qty,
        now: fc.constant(T),
      }),
      fc.record({
        type: fc.constant('Reserve' as const),
        sku: fc.constant(sku),
        orderId,
        quantity: qty,
        now: fc.constant(T),
      }),
      fc.record({
        type: fc.constant('Release' as const),
        sku: fc.constant(sku),
        orderId,
        now: fc.constant(T),
      }),
      fc.record({
        type: fc.constant('Commit' as const),
        sku: fc.constant(sku),
        orderId,
        now: fc.constant(T),
      }),
    );

    it('restocked = available + reserved + shipped, and no bucket is ever negative', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
          let state = [defined].reduce(inventoryDecider.evolve, inventoryDecider.initialState());
          let restockedTotal = 0;
          for (const cmd of commands) {
            let events: InventoryEvent[] = [];
            try {
              events = inventoryDecider.decide(cmd, state);
            } catch (err) {
              if (!(err instanceof DomainError)) throw err;
            }
            for (const e of events) {
              if (e.type === 'ItemRestocked') restockedTotal += e.data.quantity;
              state = inventoryDecider.evolve(state, e);
              assert.ok(state.available >= 0 && state.reserved >= 0 && state.shipped >= 0, 'never negative');
              assert.equal(
                restockedTotal,
                state.available + state.reserved + state.shipped,
                'stock conserved',
              );
            }
          }
          assert.equal(state.restocked, restockedTotal, 'restocked counts every restock');
          const live = Object.values(state.reservations).filter((r) => r.status === 'reserved');
          assert.equal(
            state.reserved,
            live.reduce((n, r) => n + r.quantity, 0),
            'reserved equals the live reservations',
          );
        }),
      );
    });
  });
});
