/**
 * What every group of the hostile battery shares: the case shape, what the battery knows about the running
 * system, and a builder that keeps the cases in the order they are added (the short mode keeps the first
 * case of each kind).
 */
import { randomUUID } from 'node:crypto';
import type { RequestOptions } from '../lib/http';

export interface HostileCase {
  name: string;
  method: string;
  path: string;
  opts: RequestOptions;
}

export interface HostileContext {
  jwtSecret: string;
  admin: string;
  /** the attacker: a customer with a valid token */
  attacker: { id: string; token: string };
  /** another customer and one of their orders */
  victim: { id: string; orderId: string };
  /** a SKU in the catalog */
  sku: string;
}

/** A fresh Idempotency-Key, so no case is answered from another's. */
export const key = () => `hostile-${randomUUID()}`;

export const address = {
  name: 'Eve',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

export const JSON_TYPE = { 'content-type': 'application/json' };

/** A valid order for the catalog's SKU: the cases corrupt one part of it. */
export const validOrder = (ctx: HostileContext) => ({
  items: [{ sku: ctx.sku, quantity: 1 }],
  shippingAddress: address,
});

export type AddCase = (name: string, method: string, path: string, opts: RequestOptions) => void;

/** Collects the cases a group adds, in order. */
export function collect(group: (add: AddCase) => void): HostileCase[] {
  const cases: HostileCase[] = [];
  group((name, method, path, opts) => cases.push({ name, method, path, opts }));
  return cases;
}
