/**
 * Inventory service (schema `inventory`, streams `item-<sku>`): the catalog and the stock.
 *
 * Multi-SKU reservations are all-or-nothing: every SKU of the order is decided first (any InsufficientStock
 * or UnknownSku refuses the whole order before anything is written), then all reservations are appended in
 * one Postgres transaction, streams in sorted SKU order (so concurrent multi-SKU writers cannot deadlock);
 * a version conflict on any SKU rolls the whole transaction back and the decision is retried on fresh
 * state. So an order never holds a partial reservation, and the saga's release compensation only ever
 * undoes a complete one (it is still safe on partial or missing reservations: release is a no-op per SKU
 * with nothing reserved).
 */
import {
  inventoryDecider,
  itemStreamId,
  type InventoryCommand,
  type InventoryState,
  type ReservationStatus,
} from '../../domain/inventory';
import { InvalidCommand, UnknownSku } from '../../domain/errors';
import {
  commandOptions,
  freshId,
  resolveDeps,
  toEventRecord,
  type CommandMeta,
  type EventRecord,
  type ServiceDeps,
} from '../common';
import { handleCommand } from '../../eventstore/command';
import { getSkuDemand, type SkuDemand } from './demand';

export interface CatalogEntry {
  sku: string;
  name: string;
  /** cents */
  price: number;
  available: number;
  reserved: number;
}

export interface ItemView extends CatalogEntry {
  shipped: number;
  /** stream version */
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface StockLine {
  sku: string;
  quantity: number;
}

export interface ReservationResult {
  orderId: string;
  /** per SKU (sorted): the order's reservation and whether this call wrote it */
  lines: { sku: string; quantity: number; status: ReservationStatus | 'none'; appended: boolean }[];
}

const itemView = (state: InventoryState, version: number): ItemView => ({
  sku: state.sku ?? '',
  name: state.name,
  price: state.price,
  available: state.available,
  reserved: state.reserved,
  shipped: state.shipped,
  version,
  createdAt: state.createdAt,
  updatedAt: state.updatedAt,
});

const catalogEntry = (v: ItemView): CatalogEntry => ({
  sku: v.sku,
  name: v.name,
  price: v.price,
  available: v.available,
  reserved: v.reserved,
});

function sortedDistinct(skus: string[]): string[] {
  if (new Set(skus).size !== skus.length) throw new InvalidCommand('duplicate SKU in the lines');
  return [...skus].sort();
}

export function createInventoryService(deps: ServiceDeps) {
  const { store, now, pool } = resolveDeps(deps, 'inventory');

  async function perSku(
    orderId: string,
    skus: string[],
    make: (sku: string) => InventoryCommand,
    meta: CommandMeta,
    step: string,
  ): Promise<ReservationResult> {
    if (skus.length === 0) throw new InvalidCommand('at least one line is required');
    const sorted = sortedDistinct(skus);
    const results = await handleCommand(
      store,
      sorted.map((sku) => ({ streamId: itemStreamId(sku), decider: inventoryDecider, command: make(sku) })),
      commandOptions({ correlationId: orderId, ...meta }, `order-${orderId}/${step}`),
    );
    return {
      orderId,
      lines: results.map((r, i) => {
        const res = Object.prototype.hasOwnProperty.call(r.state.reservations, orderId)
          ? r.state.reservations[orderId]
          : undefined;
        return {
          sku: sorted[i]!,
          quantity: res?.quantity ?? 0,
          status: res?.status ?? 'none',
          appended: r.appended,
        };
      }),
    };
  }

  async function getItem(sku: string, opts: { asOf?: Date } = {}): Promise<ItemView | undefined> {
    const r = await store.aggregateStream(
      itemStreamId(sku),
      inventoryDecider,
      opts.asOf ? { asOf: opts.asOf } : {},
    );
    return r.state.defined ? itemView(r.state, r.version) : undefined;
  }

  return {
    /** creates the catalog entry or updates its name/price (`created` tells which; unchanged → both false) */
    async upsertItem(
      input: { sku: string; name: string; price: number },
      meta: CommandMeta = {},
    ): Promise<{ created: boolean; updated: boolean; item: CatalogEntry }> {
      const r = await handleCommand(
        store,
        itemStreamId(input.sku),
        inventoryDecider,
        { type: 'DefineItem', sku: input.sku, name: input.name, price: input.price, now: now() },
        // no natural key: a catalog edit back to earlier values is a new event, not a retry
        commandOptions(meta, `catalog/${input.sku}/${freshId()}`),
      );
      const created = r.appended && r.events.some((e) => e.type === 'ItemDefined');
      return {
        created,
        updated: r.appended && !created,
        item: catalogEntry(itemView(r.state, r.version)),
      };
    },

    /**
     * Adds stock. restockId defaults to meta.idempotencyKey (the API's scoped key; without either every call
     * restocks). Undefined when the SKU is not in the catalog.
     */
    async restock(
      input: { sku: string; quantity: number; restockId?: string },
      meta: CommandMeta = {},
    ): Promise<CatalogEntry | undefined> {
      const restockId = input.restockId ?? meta.idempotencyKey ?? freshId();
      try {
        const r = await handleCommand(
          store,
          itemStreamId(input.sku),
          inventoryDecider,
          { type: 'Restock', sku: input.sku, restockId, quantity: input.quantity, now: now() },
          commandOptions(meta, `restock/${restockId}`),
        );
        return catalogEntry(itemView(r.state, r.version));
      } catch (err) {
        if (err instanceof UnknownSku) return undefined;
        throw err;
      }
    },

    /** all lines or none: InsufficientStock / UnknownSku refuse the order and write nothing; repeat = no-op */
    reserve(orderId: string, lines: StockLine[], meta: CommandMeta = {}): Promise<ReservationResult> {
      const qty = new Map(lines.map((l) => [l.sku, l.quantity]));
      return perSku(
        orderId,
        lines.map((l) => l.sku),
        (sku) => ({ type: 'Reserve', sku, orderId, quantity: qty.get(sku)!, now: now() }),
        meta,
        'reserve',
      );
    },

    /** releases what this order still holds on these SKUs; no-op where nothing is reserved */
    release(orderId: string, skus: string[], meta: CommandMeta = {}): Promise<ReservationResult> {
      return perSku(orderId, skus, (sku) => ({ type: 'Release', sku, orderId, now: now() }), meta, 'release');
    },

    /** when shipped: reserved → shipped; InvalidTransition if a SKU has no live reservation; repeat = no-op */
    commit(orderId: string, skus: string[], meta: CommandMeta = {}): Promise<ReservationResult> {
      return perSku(orderId, skus, (sku) => ({ type: 'Commit', sku, orderId, now: now() }), meta, 'commit');
    },

    /** the item now or as of an instant; undefined when not in the catalog (then) */
    getItem,

    /** catalog entries of the SKUs that exist; missing SKUs are absent from the map */
    async getItems(skus: string[]): Promise<Map<string, CatalogEntry>> {
      const distinct = [...new Set(skus)];
      const items = await Promise.all(distinct.map((sku) => getItem(sku)));
      const out = new Map<string, CatalogEntry>();
      items.forEach((v) => {
        if (v) out.set(v.sku, catalogEntry(v));
      });
      return out;
    },

    async getItemEvents(sku: string): Promise<EventRecord[]> {
      return (await store.readStream(itemStreamId(sku))).map(toEventRecord);
    },

    /** the demand read model fed from the bus (./demand.ts): merged CRDT slots, zeros when none */
    getDemand: (sku: string): Promise<SkuDemand> => getSkuDemand(pool, sku),
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
