import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DomainError } from '../errors';
import { deciderSpec } from '../decider-spec';
import {
  orderDecider,
  orderStreamId,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PlaceOrder,
} from './order';

const spec = deciderSpec(orderDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T10:01:00.000Z';
const address = { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const place: PlaceOrder = {
  type: 'PlaceOrder',
  orderId: 'o1',
  customerId: 'c1',
  lines: [
    { sku: 'A', quantity: 2, unitPrice: 500 },
    { sku: 'B', quantity: 1, unitPrice: 250 },
  ],
  total: 1250,
  currency: 'USD',
  shippingAddress: address,
  now: T0,
};
const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId: 'o1',
    customerId: 'c1',
    lines: place.lines,
    total: 1250,
    currency: 'USD',
    shippingAddress: address,
    placedAt: T0,
  },
};
const reserved: OrderEvent = { type: 'OrderInventoryReserved', data: { orderId: 'o1', at: T1 } };
const paid: OrderEvent = { type: 'OrderPaid', data: { orderId: 'o1', amount: 1250, at: T1 } };
const shipped: OrderEvent = {
  type: 'OrderShipped',
  data: { orderId: 'o1', shipmentId: 'shp-o1', trackingNumber: 'TRK1', at: T1 },
};
const completed: OrderEvent = { type: 'OrderCompleted', data: { orderId: 'o1', at: T1 } };
const failed: OrderEvent = {
  type: 'OrderFailed',
  data: { orderId: 'o1', reason: 'no stock', step: 'reserve', at: T1 },
};
const cancelled: OrderEvent = {
  type: 'OrderCancelled',
  data: { orderId: 'o1', reason: 'changed mind', at: T1 },
};
/** checks the message the API and the saga show for a refusal */
const saying = (message: string) => (err: DomainError) => assert.equal(err.message, message);
/** checks the details of an InvalidTransition */
const fromState = (from: string, command: string) => (err: DomainError) =>
  assert.deepEqual(err.details, { aggregate: 'Order', from, command });

describe('Order decider', () => {
  describe('placing', () => {
    it('a new order is placed with its lines, total and address', () => {
      spec.given([]).when(place).then([placed]);
    });
    it('placing the same order again changes nothing', () => {
      spec.given([placed]).when(place).then([]);
    });
    it('a total that is not the sum of the lines is refused', () => {
      spec
        .given([])
        .when({ ...place, total: 1 })
        .thenThrows('InvalidAmount');
    });
    it('a non-positive or fractional quantity is refused', () => {
      spec
        .given([])
        .when({ ...place, lines: [{ sku: 'A', quantity: 0, unitPrice: 5 }], total: 0 })
        .thenThrows('InvalidAmount');
      spec
        .given([])
        .when({ ...place, lines: [{ sku: 'A', quantity: 1.5, unitPrice: 2 }], total: 3 })
        .thenThrows('InvalidAmount');
    });
    it('an order without lines or with duplicate SKUs is refused', () => {
      spec
        .given([])
        .when({ ...place, lines: [], total: 0 })
        .thenThrows('InvalidCommand');
      spec
        .given([])
        .when({
          ...place,
          lines: [
            { sku: 'A', quantity: 1, unitPrice: 1 },
            { sku: 'A', quantity: 1, unitPrice: 1 },
          ],
          total: 2,
        })
        .thenThrows('InvalidCommand');
    });
  });

  describe('placing: what is refused, and why', () => {
    it('an order without an id or a customer is refused', () => {
      spec
        .given([])
        .when({ ...place, orderId: '' })
        .thenThrows('InvalidCommand', saying('orderId is required'));
      spec
        .given([])
        .when({ ...place, customerId: '' })
        .thenThrows('InvalidCommand', saying('customerId is required'));
    });
    it('a line without a SKU, a repeated SKU or a currency other than USD is refused, naming the culprit', () => {
      spec
        .given([])
        .when({ ...place, lines: [{ sku: '', quantity: 1, unitPrice: 1 }], total: 1 })
        .thenThrows('InvalidCommand', saying('lines[0].sku is required'));
      spec
        .given([])
        .when({
          ...place,
          lines: [
            { sku: 'A', quantity: 1, unitPrice: 1 },
            { sku: 'A', quantity: 1, unitPrice: 1 },
          ],
          total: 2,
        })
        .thenThrows('InvalidCommand', saying('duplicate SKU A'));
      spec
        .given([])
        .when({ ...place, lines: [], total: 0 })
        .thenThrows('InvalidCommand', saying('an order needs at least one line'));
      spec
        .given([])
        .when({ ...place, currency: 'EUR' as 'USD' })
        .thenThrows('InvalidCommand', saying('unsupported currency EUR'));
    });
    it('a bad quantity, unit price or total names the field and the rule it broke', () => {
      spec
        .given([])
        .when({ ...place, lines: [...place.lines, { sku: 'C', quantity: 0, unitPrice: 5 }] })
        .thenThrows('InvalidAmount', saying('lines[2].quantity must be a positive integer, got 0'));
      spec
        .given([])
        .when({ ...place, lines: [...place.lines, { sku: 'C', quantity: 1, unitPrice: -5 }], total: 1245 })
        .thenThrows('InvalidAmount', saying('lines[2].unitPrice must be a non-negative integer, got -5'));
      spec
        .given([])
        .when({ ...place, total: -1 })
        .thenThrows('InvalidAmount', saying('total must be a non-negative integer, got -1'));
      spec
        .given([])
        .when({ ...place, total: 1 })
        .thenThrows('InvalidAmount', saying('total must be the sum of the lines (1250), got 1'));
    });
    it('a free line (unit price 0) is accepted and counts nothing towards the total', () => {
      const lines = [...place.lines, { sku: 'GIFT', quantity: 1, unitPrice: 0 }];
      const [event] = spec
        .given([])
        .when({ ...place, lines })
        .events();
      assert.deepEqual(event?.type === 'OrderPlaced' && [event.data.lines, event.data.total], [lines, 1250]);
    });
  });

  describe('the happy path in order', () => {
    it('moves placed → inventory reserved → paid → shipped → completed', () => {
      spec.given([placed]).when({ type: 'MarkInventoryReserved', now: T1 }).then([reserved]);
      spec.given([placed, reserved]).when({ type: 'MarkPaid', amount: 1250, now: T1 }).then([paid]);
      spec
        .given([placed, reserved, paid])
        .when({ type: 'MarkShipped', shipmentId: 'shp-o1', trackingNumber: 'TRK1', now: T1 })
        .then([shipped]);
      spec
        .given([placed, reserved, paid, shipped])
        .when({ type: 'CompleteOrder', now: T1 })
        .then([completed]);
      const state = spec.given([placed, reserved, paid, shipped, completed]).state();
      assert.ok(state.status === 'COMPLETED');
      assert.equal(state.trackingNumber, 'TRK1');
    });
    it('repeating a step that already happened changes nothing', () => {
      spec.given([placed, reserved]).when({ type: 'MarkInventoryReserved', now: T1 }).then([]);
      spec
        .given([placed, reserved, paid, shipped])
        .when({ type: 'MarkPaid', amount: 1250, now: T1 })
        .then([]);
      spec
        .given([placed, reserved, paid, shipped, completed])
        .when({ type: 'CompleteOrder', now: T1 })
        .then([]);
      for (const history of [
        [placed, reserved, paid, shipped],
        [placed, reserved, paid, shipped, completed],
      ]) {
        spec
          .given(history)
          .when({ type: 'MarkShipped', shipmentId: 'shp-o1', trackingNumber: 'TRK1', now: T1 })
          .then([]);
      }
    });
    it('a payment that is not the order total, or not a positive amount, is refused', () => {
      spec
        .given([placed, reserved])
        .when({ type: 'MarkPaid', amount: 1, now: T1 })
        .thenThrows('InvalidAmount', saying('amount must be the order total (1250), got 1'));
      spec
        .given([placed, reserved])
        .when({ type: 'MarkPaid', amount: 0, now: T1 })
        .thenThrows('InvalidAmount', saying('amount must be a positive integer, got 0'));
    });
    it('shipping needs both a shipment id and a tracking number', () => {
      for (const missing of [{ shipmentId: '' }, { trackingNumber: '' }]) {
        spec
          .given([placed, reserved, paid])
          .when({ type: 'MarkShipped', shipmentId: 'shp-o1', trackingNumber: 'TRK1', now: T1, ...missing })
          .thenThrows('InvalidCommand', saying('shipmentId and trackingNumber are required'));
      }
    });
    it('each step records when it happened and the state keeps the latest time', () => {
      const T2 = '2026-01-01T10:02:00.000Z';
      const [event] = spec
        .given([placed, reserved])
        .when({ type: 'MarkPaid', amount: 1250, now: T2 })
        .events();
      const state = spec.given([placed, reserved, event!]).state();
      assert.deepEqual(
        state.status !== 'NONE' && [state.status, state.paidAmount, state.placedAt, state.updatedAt],
        ['PAID', 1250, T0, T2],
      );
    });
  });

  describe('invalid transitions', () => {
    it('paid before inventory reserved is refused, naming the state and the command', () => {
      spec
        .given([placed])
        .when({ type: 'MarkPaid', amount: 1250, now: T1 })
        .thenThrows('InvalidTransition', fromState('PLACED', 'MarkPaid'));
    });
    it('shipped before paid, completed before shipped are refused', () => {
      spec
        .given([placed, reserved])
        .when({ type: 'MarkShipped', shipmentId: 's', trackingNumber: 't', now: T1 })
        .thenThrows('InvalidTransition');
      spec
        .given([placed, reserved, paid])
        .when({ type: 'CompleteOrder', now: T1 })
        .thenThrows('InvalidTransition');
    });
    it('nothing but placing is accepted before the order exists', () => {
      spec
        .given([])
        .when({ type: 'MarkInventoryReserved', now: T1 })
        .thenThrows('InvalidTransition', fromState('NONE', 'MarkInventoryReserved'));
      spec.given([]).when({ type: 'MarkPaid', amount: 1, now: T1 }).thenThrows('InvalidTransition');
    });
    it('failing or cancelling an order that was never placed is a no-op (nothing to undo)', () => {
      spec.given([]).when({ type: 'CancelOrder', reason: 'x', now: T1 }).then([]);
      spec.given([]).when({ type: 'FailOrder', reason: 'x', step: 'place', now: T1 }).then([]);
    });
    it('after a failure only a repeated failure is accepted (as a no-op)', () => {
      spec
        .given([placed, failed])
        .when({ type: 'FailOrder', reason: 'again', step: 'pay', now: T1 })
        .then([]);
      spec
        .given([placed, failed])
        .when({ type: 'MarkInventoryReserved', now: T1 })
        .thenThrows('InvalidTransition');
      spec
        .given([placed, failed])
        .when({ type: 'CancelOrder', reason: 'x', now: T1 })
        .thenThrows('InvalidTransition', fromState('FAILED', 'CancelOrder'));
    });
    it('after completion the order can be neither failed nor cancelled', () => {
      const history = [placed, reserved, paid, shipped, completed];
      spec
        .given(history)
        .when({ type: 'FailOrder', reason: 'x', step: 'y', now: T1 })
        .thenThrows('InvalidTransition', fromState('COMPLETED', 'FailOrder'));
      spec.given(history).when({ type: 'CancelOrder', reason: 'x', now: T1 }).thenThrows('InvalidTransition');
    });
    it('an unknown command is refused loudly, not ignored', () => {
      assert.throws(
        () =>
          spec
            .given([placed])
            .when({ type: 'ShipTwice', now: T1 } as unknown as OrderCommand)
            .events(),
        /Unhandled case/,
      );
    });
  });

  describe('failure and cancellation', () => {
    it('an order fails with a reason and the step that failed', () => {
      spec
        .given([placed, reserved])
        .when({ type: 'FailOrder', reason: 'no stock', step: 'reserve', now: T1 })
        .then([failed]);
      const state = spec.given([placed, failed]).state();
      assert.deepEqual(state.status !== 'NONE' && state.failure, { reason: 'no stock', step: 'reserve' });
    });
    it('an order can be cancelled before it ships, once', () => {
      spec
        .given([placed, reserved, paid])
        .when({ type: 'CancelOrder', reason: 'changed mind', now: T1 })
        .then([cancelled]);
      spec.given([placed, cancelled]).when({ type: 'CancelOrder', reason: 'again', now: T1 }).then([]);
    });
    it('after a cancellation nothing moves the order on: reserving, paying or failing it is refused', () => {
      const history = [placed, reserved, cancelled];
      for (const command of [
        { type: 'MarkInventoryReserved', now: T1 },
        { type: 'MarkPaid', amount: 1250, now: T1 },
        { type: 'FailOrder', reason: 'x', step: 'y', now: T1 },
      ] as const) {
        spec
          .given(history)
          .when(command)
          .thenThrows('InvalidTransition', fromState('CANCELLED', command.type));
      }
    });
    it('a shipped order cannot be cancelled', () => {
      spec
        .given([placed, reserved, paid, shipped])
        .when({ type: 'CancelOrder', reason: 'late', now: T1 })
        .thenThrows('InvalidTransition', fromState('SHIPPED', 'CancelOrder'));
    });
    it('a cancelled order keeps its reason', () => {
      const state = spec.given([placed, cancelled]).state();
      assert.deepEqual(state.status !== 'NONE' && [state.status, state.cancellationReason], [
        'CANCELLED',
        'changed mind',
      ]);
    });
  });

  describe('folding the stream', () => {
    it('an event before the placement leaves the order unplaced', () => {
      assert.deepEqual(spec.given([reserved, paid, shipped, completed, failed, cancelled]).state(), {
        status: 'NONE',
      });
    });
    it('an event of an unknown type is not skipped silently', () => {
      assert.throws(
        () => orderDecider.evolve(spec.given([placed]).state(), { type: 'OrderTeleported' } as never),
        /Unhandled case/,
      );
    });
    it('an order lives in the stream order-<orderId>', () => {
      assert.equal(orderStreamId('o-42'), 'order-o-42');
    });
  });

  describe('properties', () => {
    const ALLOWED: Record<string, string[]> = {
      NONE: ['PLACED'],
      PLACED: ['INVENTORY_RESERVED', 'FAILED', 'CANCELLED'],
      INVENTORY_RESERVED: ['PAID', 'FAILED', 'CANCELLED'],
      PAID: ['SHIPPED', 'FAILED', 'CANCELLED'],
      SHIPPED: ['COMPLETED', 'FAILED'],
      COMPLETED: [],
      FAILED: [],
      CANCELLED: [],
    };
    const command: fc.Arbitrary<OrderCommand> = fc.oneof(
      fc.constant(place),
      fc.constant({ type: 'MarkInventoryReserved', now: T1 } as const),
      fc.constantFrom(1250, 1).map((amount) => ({ type: 'MarkPaid', amount, now: T1 }) as const),
      fc.constant({ type: 'MarkShipped', shipmentId: 's', trackingNumber: 't', now: T1 } as const),
      fc.constant({ type: 'CompleteOrder', now: T1 } as const),
      fc.constant({ type: 'FailOrder', reason: 'r', step: 's', now: T1 } as const),
      fc.constant({ type: 'CancelOrder', reason: 'r', now: T1 } as const),
    );

    it('whatever the commands, the order only moves along the state machine and stops at a terminal state', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 25 }), (commands) => {
          let state: OrderState = orderDecider.initialState();
          for (const cmd of commands) {
            let events: OrderEvent[] = [];
            try {
              events = orderDecider.decide(cmd, state);
            } catch (err) {
              if (!(err instanceof DomainError)) throw err;
            }
            assert.ok(events.length <= 1);
            for (const e of events) {
              const next = orderDecider.evolve(state, e);
              assert.ok(ALLOWED[state.status]!.includes(next.status), `${state.status} → ${next.status}`);
              state = next;
            }
            // deciding the same command again right away never yields events
            let repeat: OrderEvent[] = [];
            try {
              repeat = orderDecider.decide(cmd, state);
            } catch (err) {
              if (!(err instanceof DomainError)) throw err;
            }
            if (events.length > 0) assert.deepEqual(repeat, []);
          }
        }),
      );
    });
  });
});
