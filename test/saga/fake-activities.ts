/**
 * Recording fake activities for the saga matrix: every real activity name of the four services, registered on
 * its real task queue, records each call (order, name, arguments, attempt, how it ended) and does what the
 * test scripted for that order: succeed (the default), fail, or wait at a barrier the test releases, so a
 * saga can be held in an exact state. They stand in for the services only; the workflow under test is the
 * real `orderSaga` bundle on a real Temporal dev server (stubbed-stack.ts).
 */
import { Context } from '@temporalio/activity';
import type { InventoryActivities } from '../../src/activities/inventory';
import type { OrderActivities } from '../../src/activities/orders';
import type { PaymentActivities } from '../../src/activities/payments';
import type { ShippingActivities } from '../../src/activities/shipping';
import type { ServiceName } from '../../src/workflows/contracts';

export type ServiceActivities = {
  orders: OrderActivities;
  inventory: InventoryActivities;
  payments: PaymentActivities;
  shipping: ShippingActivities;
};
type AllActivities = OrderActivities & InventoryActivities & PaymentActivities & ShippingActivities;
export type ActivityName = keyof AllActivities;

export interface Call {
  orderId: string;
  name: ActivityName;
  args: Record<string, unknown>;
  attempt: number;
  /** position in the log when it started and when it ended (one counter for all calls) */
  startedAt: number;
  endedAt?: number;
  outcome?: 'completed' | 'failed';
}

/** What a call does after it was recorded: return a result or throw. */
export type Script = (call: Call) => unknown;

/** A call held at a barrier: `reached` resolves once the activity is running and waiting. */
export interface Barrier {
  readonly reached: Promise<Call>;
  /** let the held call go on (it then runs its script, by default it succeeds) */
  release(): void;
  /** let the held call fail with `err` */
  fail(err: Error): void;
}

interface PendingBarrier extends Barrier {
  arrive(call: Call): Promise<void>;
}

function barrier(): PendingBarrier {
  let onReached!: (call: Call) => void;
  let open!: () => void;
  let reject!: (err: Error) => void;
  const reached = new Promise<Call>((r) => (onReached = r));
  const gate = new Promise<void>((resolve, rej) => {
    open = resolve;
    reject = rej;
  });
  return {
    reached,
    release: () => open(),
    fail: (err) => reject(err),
    arrive: (call) => {
      onReached(call);
      return gate;
    },
  };
}

const defaultResult = (call: Call): unknown =>
  call.name === 'createShipment'
    ? { shipmentId: `shp-${call.orderId}`, trackingNumber: `TRK-${call.orderId}` }
    : undefined;

export class RecordingActivities {
  readonly log: Call[] = [];
  private tick = 0;
  private readonly scripts = new Map<string, Script>();
  private readonly barriers = new Map<string, PendingBarrier[]>();
  private readonly held = new Set<PendingBarrier>();

  /** From now on every call of `name` for this order runs `script` (throw in it to fail the call). */
  script(orderId: string, name: ActivityName, script: Script): void {
    this.scripts.set(`${orderId}/${name}`, script);
  }

  /** The next call of `name` for this order waits at the returned barrier until the test releases it. */
  hold(orderId: string, name: ActivityName): Barrier {
    const b = barrier();
    const key = `${orderId}/${name}`;
    this.barriers.set(key, [...(this.barriers.get(key) ?? []), b]);
    return b;
  }

  /** This order's calls in the order they started (one entry per attempt). */
  calls(orderId: string, name?: ActivityName): Call[] {
    return this.log.filter((c) => c.orderId === orderId && (name === undefined || c.name === name));
  }

  /** This order's activity names in the order they started (one entry per attempt). */
  names(orderId: string): ActivityName[] {
    return this.calls(orderId).map((c) => c.name);
  }

  /** Fails every call still held, so a worker can shut down after a failed test. */
  releaseAll(): void {
    for (const b of this.held) b.fail(new Error('test stack stopped'));
    for (const list of this.barriers.values()) for (const b of list) b.fail(new Error('test stack stopped'));
    this.barriers.clear();
  }

  /** The activities of one service, under their real names. */
  forService<S extends ServiceName>(service: S): ServiceActivities[S] {
    const names: Record<ServiceName, ActivityName[]> = {
      orders: ['placeOrder', 'markOrderInventoryReserved', 'markOrderPaid', 'completeOrder', 'rejectOrder'],
      inventory: ['reserveStock', 'releaseStock', 'commitStock'],
      payments: ['chargePayment', 'refundPayment'],
      shipping: ['validateDestination', 'createShipment', 'cancelShipment'],
    };
    return Object.fromEntries(
      names[service].map((name) => [name, (args: Record<string, unknown>) => this.run(name, args)]),
    ) as unknown as ServiceActivities[S];
  }

  private async run(name: ActivityName, args: Record<string, unknown>): Promise<unknown> {
    const call: Call = {
      orderId: String(args['orderId']),
      name,
      args,
      attempt: Context.current().info.attempt,
      startedAt: ++this.tick,
    };
    this.log.push(call);
    try {
      const key = `${call.orderId}/${name}`;
      const held = this.barriers.get(key)?.shift();
      if (held) {
        this.held.add(held);
        try {
          await held.arrive(call);
        } finally {
          this.held.delete(held);
        }
      }
      const script = this.scripts.get(key) ?? defaultResult;
      const result = await script(call);
      call.outcome = 'completed';
      return result;
    } catch (err) {
      call.outcome = 'failed';
      throw err;
    } finally {
      call.endedAt = ++this.tick;
    }
  }
}
