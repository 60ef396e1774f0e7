/**
 * The hostile-input battery: requests against every endpoint that the contract says must be refused, in
 * groups (one file each): bad credentials on every endpoint, another customer's data, POST /orders bodies,
 * the other endpoints' parameters. Each must be answered 4xx, never 5xx nor 2xx, and none may write anything
 * (the scenario compares `writeFootprint` before and after).
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { SCHEMAS } from '../oracle/snapshot';
import type { HostileCase, HostileContext } from './cases';
import { credentialCases } from './credentials';
import { orderBodyCases } from './order-bodies';
import { parameterCases } from './parameters';
import { tenantCases } from './tenants';
import { badTokens } from './tokens';

export type { HostileCase, HostileContext } from './cases';

/** Every case of the battery, in order. */
export async function hostileCases(ctx: HostileContext): Promise<HostileCase[]> {
  return [
    ...credentialCases(ctx, await badTokens(ctx)),
    ...tenantCases(ctx),
    ...orderBodyCases(ctx),
    ...parameterCases(ctx),
  ];
}

/** A small, representative battery for the short mode: every endpoint and every kind of abuse once. */
export function smallBattery(all: HostileCase[]): HostileCase[] {
  const seen = new Set<string>();
  return all.filter((c) => {
    const kind = c.name.split(':')[0]!;
    const k = /^(no token|alg none|forged|expired|unknown role|no exp|sub with SQL|garbage token)/.test(kind)
      ? kind
      : c.name;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Row counts of every table a write would add to, and the number of workflows (hostile: nothing written). */
export async function writeFootprint(pool: Pool, temporal: Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of SCHEMAS) {
    for (const t of ['events', 'outbox', 'snapshots']) {
      const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.${t}`);
      out[`${s}.${t}`] = r.rows[0]!.n;
    }
  }
  const k = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM gateway.idempotency_keys');
  out['gateway.idempotency_keys'] = k.rows[0]!.n;
  out.workflows = (await temporal.workflow.count('')).count;
  return out;
}
