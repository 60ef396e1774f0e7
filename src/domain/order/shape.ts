/**
 * The order's shape, declared once: its lines, its shipping address and the order as placed. The workflow
 * contract, the API's zod schemas, the activities, the events and the read models derive from these types.
 */

export const CURRENCY = 'USD';
export type Currency = typeof CURRENCY;

export interface OrderLine {
  sku: string;
  quantity: number;
  /** cents, from the catalog at order time */
  unitPrice: number;
}

/** A postal address. */
export interface Address {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
}

/** An order as it was placed: what OrderPlaced records and what the saga carries. */
export interface PlacedOrder {
  orderId: string;
  customerId: string;
  lines: OrderLine[];
  /** cents; the sum of quantity × unitPrice over the lines */
  total: number;
  currency: Currency;
  shippingAddress: Address;
  /** ISO 8601 time the gateway accepted the order */
  placedAt: string;
}

/** What a line costs, in cents. */
export const lineTotal = (line: Pick<OrderLine, 'quantity' | 'unitPrice'>): number =>
  line.quantity * line.unitPrice;

/** What an order costs, in cents: the sum of its lines (the rule the Order aggregate enforces). */
export const orderTotal = (lines: readonly Pick<OrderLine, 'quantity' | 'unitPrice'>[]): number =>
  lines.reduce((sum, line) => sum + lineTotal(line), 0);

/** The part of an address a carrier books against. */
export const DESTINATION_FIELDS = ['country', 'postalCode'] as const;
export type Destination = Pick<Address, (typeof DESTINATION_FIELDS)[number]>;
export const destinationOf = (address: Address): Destination =>
  Object.fromEntries(DESTINATION_FIELDS.map((field) => [field, address[field]])) as Destination;

/** What a customer asks for: the order before the gateway gives it an id, a customer, prices and a time. */
export type OrderRequest = Omit<
  PlacedOrder,
  'orderId' | 'customerId' | 'lines' | 'total' | 'currency' | 'placedAt'
> & {
  items: Pick<OrderLine, 'sku' | 'quantity'>[];
};

/** Prices a request from the catalog: the lines get their unit prices, the order its total. Pure. */
export function priceOrder(
  request: OrderRequest,
  accepted: { orderId: string; customerId: string; placedAt: string; priceOf: (sku: string) => number },
): PlacedOrder {
  const { items, ...details } = request;
  const lines = items.map((item) => ({
    sku: item.sku,
    quantity: item.quantity,
    unitPrice: accepted.priceOf(item.sku),
  }));
  const { orderId, customerId, placedAt } = accepted;
  return { orderId, customerId, lines, total: orderTotal(lines), currency: CURRENCY, ...details, placedAt };
}
