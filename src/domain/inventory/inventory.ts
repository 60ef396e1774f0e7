/**
 * InventoryItem aggregate (stream `item-<sku>`): a catalog entry (name, price in cents) and its stock.
 * Stock moves between three buckets: available → reserved (per order) → shipped (committed), or back
 * from reserved to available (released). Invariants: restocked = available + reserved + shipped, no
 * bucket ever negative, one reservation per order, release/commit idempotent per order.
 */
import type { Decider } from '../decider';
import {
  InsufficientStock,
  InvalidCommand,
  InvalidTransition,
  UnknownSku,
  assertNever,
  assertNonNegativeInt,
  assertPositiveInt,
} from '../errors';

// ---- events ---------------------------------------------------------------------------------------
export type ItemDefined = {
  type: 'ItemDefined';
  data: { sku: string; name: string; price: number; at: string };
};
export type ItemUpdated = {
  type: 'ItemUpdated';
  data: { sku: string; name: string; price: number; at: string };
};
export type ItemRestocked = {
  type: 'ItemRestocked';
  data: { sku: string; restockId: string; quantity: number; at: string };
};
export type StockReserved = {
  type: 'StockReserved';
  data: { sku: string; orderId: string; quantity: number; at: string };
};
export type StockReleased = {
  type: 'StockReleased';
  data: { sku: string; orderId: string; quantity: number; at: string };
};
export type StockCommitted = {
  type: 'StockCommitted';
  data: { sku: string; orderId: string; quantity: number; at: string };
};
export type InventoryEvent =
  ItemDefined | ItemUpdated | ItemRestocked | StockReserved | StockReleased | StockCommitted;
export type InventoryEventType = InventoryEvent['type'];

// ---- commands -------------------------------------------------------------------------------------
/** Creates the catalog entry, or updates it when it exists and differs (an upsert). */
export type DefineItem = { type: 'DefineItem'; sku: string; name: string; price: number; now: string };
/** Updates an existing entry; UnknownSku when there is none. */
export type UpdateItem = { type: 'UpdateItem'; sku: string; name: string; price: number; now: string };
export type Restock = { type: 'Restock'; sku: string; restockId: string; quantity: number; now: string };
export type Reserve = { type: 'Reserve'; sku: string; orderId: string; quantity: number; now: string };
export type Release = { type: 'Release'; sku: string; orderId: string; now: string };
export type Commit = { type: 'Commit'; sku: string; orderId: string; now: string };
export type InventoryCommand = DefineItem | UpdateItem | Restock | Reserve | Release | Commit;

// ---- state (JSON-serialisable) ---------------------------------------------------------------------
export type ReservationStatus = 'reserved' | 'released' | 'committed';
export interface InventoryState {
  defined: boolean;
  sku: string | null;
  name: string;
  price: number;
  available: number;
  reserved: number;
  shipped: number;
  restocked: number;
  /** restockId → quantity */
  restocks: Record<string, number>;
  /** orderId → reservation */
  reservations: Record<string, { quantity: number; status: ReservationStatus }>;
  createdAt: string | null;
  updatedAt: string | null;
}

export const initialInventoryState = (): InventoryState => ({
  defined: false,
  sku: null,
  name: '',
  price: 0,
  available: 0,
  reserved: 0,
  shipped: 0,
  restocked: 0,
  restocks: {},
  reservations: {},
  createdAt: null,
  updatedAt: null,
});

const has = (rec: Record<string, unknown>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(rec, key);

function validateCatalog(cmd: { sku: string; name: string; price: number }): void {
  if (!cmd.sku) throw new InvalidCommand('sku is required');
  if (typeof cmd.name !== 'string' || cmd.name.trim() === '') throw new InvalidCommand('name is required');
  assertNonNegativeInt('price', cmd.price);
}

export function decide(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  if (state.sku !== null && command.sku !== state.sku) {
    throw new InvalidCommand(`item ${state.sku} got a command for ${command.sku}`);
  }
  const sku = command.sku;
  switch (command.type) {
    case 'DefineItem':
    case 'UpdateItem': {
      validateCatalog(command);
      const data = { sku, name: command.name, price: command.price, at: command.now };
      if (!state.defined) {
        if (command.type === 'UpdateItem') throw new UnknownSku(sku);
        return [{ type: 'ItemDefined', data }];
      }
      if (state.name === command.name && state.price === command.price) return [];
      return [{ type: 'ItemUpdated', data }];
    }
    case 'Restock':
      if (!state.defined) throw new UnknownSku(sku);
      assertPositiveInt('quantity', command.quantity);
      if (!command.restockId) throw new InvalidCommand('restockId is required');
      if (has(state.restocks, command.restockId)) return [];
      return [
        {
          type: 'ItemRestocked',
          data: { sku, restockId: command.restockId, quantity: command.quantity, at: command.now },
        },
      ];
    case 'Reserve':
      if (!state.defined) throw new UnknownSku(sku);
      assertPositiveInt('quantity', command.quantity);
      if (!command.orderId) throw new InvalidCommand('orderId is required');
      // one reservation per order: a retry (or a late retry after release/commit) changes nothing
      if (has(state.reservations, command.orderId)) return [];
      if (state.available < command.quantity)
        throw new InsufficientStock(sku, state.available, command.quantity);
      return [
        {
          type: 'StockReserved',
          data: { sku, orderId: command.orderId, quantity: command.quantity, at: command.now },
        },
      ];
    case 'Release': {
      const r = has(state.reservations, command.orderId) ? state.reservations[command.orderId] : undefined;
      // nothing reserved, released already, or shipped: nothing to undo
      if (!r || r.status !== 'reserved') return [];
      return [
        {
          type: 'StockReleased',
          data: { sku, orderId: command.orderId, quantity: r.quantity, at: command.now },
        },
      ];
    }
    case 'Commit': {
      const r = has(state.reservations, command.orderId) ? state.reservations[command.orderId] : undefined;
      if (r?.status === 'committed') return [];
      if (!r) throw new InvalidTransition('InventoryItem', 'no reservation', 'Commit');
      if (r.status === 'released') throw new InvalidTransition('InventoryItem', 'released', 'Commit');
      return [
        {
          type: 'StockCommitted',
          data: { sku, orderId: command.orderId, quantity: r.quantity, at: command.now },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

function setReservation(
  state: InventoryState,
  orderId: string,
  quantity: number,
  status: ReservationStatus,
): InventoryState['reservations'] {
  return { ...state.reservations, [orderId]: { quantity, status } };
}

export function evolve(state: InventoryState, event: InventoryEvent): InventoryState {
  const d = event.data;
  switch (event.type) {
    case 'ItemDefined':
      return {
        ...state,
        defined: true,
        sku: d.sku,
        name: event.data.name,
        price: event.data.price,
        createdAt: d.at,
        updatedAt: d.at,
      };
    case 'ItemUpdated':
      return { ...state, name: event.data.name, price: event.data.price, updatedAt: d.at };
    case 'ItemRestocked':
      return {
        ...state,
        available: state.available + event.data.quantity,
        restocked: state.restocked + event.data.quantity,
        restocks: { ...state.restocks, [event.data.restockId]: event.data.quantity },
        updatedAt: d.at,
      };
    case 'StockReserved':
      return {
        ...state,
        available: state.available - event.data.quantity,
        reserved: state.reserved + event.data.quantity,
        reservations: setReservation(state, event.data.orderId, event.data.quantity, 'reserved'),
        updatedAt: d.at,
      };
    case 'StockReleased':
      return {
        ...state,
        available: state.available + event.data.quantity,
        reserved: state.reserved - event.data.quantity,
        reservations: setReservation(state, event.data.orderId, event.data.quantity, 'released'),
        updatedAt: d.at,
      };
    case 'StockCommitted':
      return {
        ...state,
        reserved: state.reserved - event.data.quantity,
        shipped: state.shipped + event.data.quantity,
        reservations: setReservation(state, event.data.orderId, event.data.quantity, 'committed'),
        updatedAt: d.at,
      };
    default:
      return assertNever(event);
  }
}

export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState> = {
  initialState: initialInventoryState,
  decide,
  evolve,
};

export const itemStreamId = (sku: string): string => `item-${sku}`;
