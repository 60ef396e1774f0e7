/**
 * The suite's customer side: submits orders as a real client would, retrying a submission that got no
 * answer, a 5xx or a 409 with the same Idempotency-Key. Records every submission (one per key), every
 * accepted order id, which order ids each key was answered with, and which submissions saw an error at the
 * API (no answer or a 5xx) before their answer.
 */
import { randomUUID } from 'node:crypto';
import { NO_ANSWER, sleep, type ApiClient } from './http';
import { modeOfBody, type CoordinationMode } from './modes';

export interface Customer {
  id: string;
  token: string;
}

export class OrdersClient {
  /** order ids accepted (202) */
  readonly submitted = new Set<string>();
  /** accepted order id → the coordination mode its body asked for */
  readonly modes = new Map<string, CoordinationMode>();
  /** `${customer}:${key}` → order ids its answers named */
  readonly keys = new Map<string, Set<string>>();
  /** distinct Idempotency-Keys submitted through this client */
  private readonly submittedKeys = new Set<string>();
  retries = 0;
  /** submissions still unanswered (no answer, 5xx or 409) when their time budget ran out */
  gaveUp = 0;
  /** submissions answered with another status (4xx) */
  readonly refused: string[] = [];
  /** `${customer}:${key}` → the statuses of its attempts that got no answer (0) or a 5xx */
  readonly apiErrors = new Map<string, number[]>();
  private readonly apis: ApiClient[];
  private nextApi = 0;

  /** With several API instances, each request goes to the next one (round robin, as a load balancer). */
  constructor(api: ApiClient | ApiClient[]) {
    this.apis = Array.isArray(api) ? api : [api];
    if (this.apis.length === 0) throw new Error('OrdersClient needs at least one API instance');
  }

  private get api(): ApiClient {
    return this.apis[this.nextApi++ % this.apis.length]!;
  }

  get submissions(): number {
    return this.submittedKeys.size;
  }

  /** records order ids answered for a key by requests made outside this client (the idempotency scenario) */
  noteAnswers(c: Customer, key: string, orderIds: Iterable<string>): void {
    const k = `${c.id}:${key}`;
    this.keys.set(k, new Set([...(this.keys.get(k) ?? []), ...orderIds]));
  }

  async submit(
    c: Customer,
    body: unknown,
    key = `chaos-${randomUUID()}`,
    budgetMs = 120_000,
  ): Promise<{ status: number; orderId?: string }> {
    this.submittedKeys.add(`${c.id}:${key}`);
    const deadline = Date.now() + budgetMs;
    for (let attempt = 0; ; attempt++) {
      const r = await this.api.request('POST', '/orders', { token: c.token, body, idempotencyKey: key });
      if (r.status === 202) {
        const orderId = (r.json as { orderId: string }).orderId;
        this.submitted.add(orderId);
        this.modes.set(orderId, modeOfBody(body));
        this.noteAnswers(c, key, [orderId]);
        return { status: 202, orderId };
      }
      if (r.status === NO_ANSWER || r.status >= 500)
        this.apiErrors.set(`${c.id}:${key}`, [...(this.apiErrors.get(`${c.id}:${key}`) ?? []), r.status]);
      const retryable = r.status === NO_ANSWER || r.status >= 500 || r.status === 409;
      if (!retryable || Date.now() > deadline) {
        if (retryable) this.gaveUp += 1;
        else this.refused.push(`order refused: ${r.status} ${r.text.slice(0, 200)}`);
        return { status: r.status };
      }
      this.retries += 1;
      await sleep(Math.min(3000, 200 * 2 ** Math.min(attempt, 4))); // client backoff
    }
  }
}
