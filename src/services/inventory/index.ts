/**
 * Inventory service (schema `inventory`, streams `item-<sku>`): the catalog and the stock; each command is one
 * call of the event store's command handler. An order's SKUs are decided together and appended in one
 * transaction (all or nothing): src/services/README.md.
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
import { orderStepKey } from '../../domain/ids';
import { handleCommand, type HandleCommandResult } from '../../eventstore/command';
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

/** an order's lines in sorted SKU order (the order concurrent writers lock streams in); at least one, no repeats */
function sortedLines<L extends { sku: string }>(lines: L[]): L[] {
  if (lines.length === 0) throw new InvalidCommand('at least one line is required');
  if (new Set(lines.map((l) => l.sku)).size !== lines.length)
    throw new InvalidCommand('duplicate SKU in the lines');
  return [...lines].sort((x, y) => (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : 0));
}

/** a command on its item's stream */
const onItem = (command: InventoryCommand) => ({
  streamId: itemStreamId(command.sku),
  decider: inventoryDecider,
  command,
});

/** per SKU (sorted): the order's reservation after the command and whether this call wrote it */
function reservations(
  orderId: string,
  sorted: { sku: string }[],
  results: HandleCommandResult<InventoryState>[],
): ReservationResult {
  return {
    orderId,
    lines: results.map((r, i) => {
      const res = Object.hasOwn(r.state.reservations, orderId) ? r.state.reservations[orderId] : undefined;
      const status = res?.status ?? 'none';
      return { sku: sorted[i]!.sku, quantity: res?.quantity ?? 0, status, appended: r.appended };
    }),
  };
}

/** An order's lines, as the saga passes them (extra fields such as unitPrice are ignored). */
interface OrderStock<L extends { sku: string } = { sku: string }> {
  orderId: string;
  lines: L[];
}

export function createInventoryService(deps: ServiceDeps) {
  const { store, now, pool } = resolveDeps(deps, 'inventory');

  const opts = (orderId: string, step: string, meta: CommandMeta) =>
    commandOptions({ correlationId: orderId, ...meta }, orderStepKey(orderId, step));

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
    async reserve(
      { orderId, lines }: OrderStock<StockLine>,
      meta: CommandMeta = {},
    ): Promise<ReservationResult> {
      const sorted = sortedLines(lines);
      const commands = sorted.map(({ sku, quantity }) =>
        onItem({ type: 'Reserve', sku, orderId, quantity, now: now() }),
      );
      return reservations(
        orderId,
        sorted,
        await handleCommand(store, commands, opts(orderId, 'reserve', meta)),
      );
    },

    /** releases what this order still holds on these SKUs; no-op where nothing is reserved */
    async release({ orderId, lines }: OrderStock, meta: CommandMeta = {}): Promise<ReservationResult> {
      const sorted = sortedLines(lines);
      const commands = sorted.map(({ sku }) => onItem({ type: 'Release', sku, orderId, now: now() }));
      return reservations(
        orderId,
        sorted,
        await handleCommand(store, commands, opts(orderId, 'release', meta)),
      );
    },

    /** when shipped: reserved → shipped; InvalidTransition if a SKU has no live reservation; repeat = no-op */
    async commit({ orderId, lines }: OrderStock, meta: CommandMeta = {}): Promise<ReservationResult> {
      const sorted = sortedLines(lines);
      const commands = sorted.map(({ sku }) => onItem({ type: 'Commit', sku, orderId, now: now() }));
      return reservations(
        orderId,
        sorted,
        await handleCommand(store, commands, opts(orderId, 'commit', meta)),
      );
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
