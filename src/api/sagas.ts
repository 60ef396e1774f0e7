/**
 * The gateway's side of the saga contract: start an order workflow (exactly once per order id), read its
 * live state, cancel it. Every call has a deadline, so a Temporal outage fails fast (→ 503).
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import {
  cancelOrderUpdate,
  ORDER_SAGA_WORKFLOW_TYPE,
  orderDetailsOf,
  orderSagaStartOptions,
  orderWorkflowId,
  type OrderSagaInput,
  type OrderStatus,
  sagaStateQuery,
  type SagaStateView,
} from '../workflows/contracts';
import { CustomerIdKey, OrderStatusKey } from '../workflows/search-attributes';
import { isInfrastructureError } from './infra-errors';

/** What the gateway puts in the workflow memo: enough to answer GET /orders/{id} before projections. */
export interface OrderMemo {
  requestId?: string | undefined;
  customerId: string;
  order: SagaStateView['order'];
}

export interface WorkflowSnapshot {
  customerId: string;
  running: boolean;
  /** OrderStatus search attribute (or derived from the execution status) */
  status: OrderStatus;
  memo: OrderMemo | undefined;
  live: SagaStateView | undefined;
}

export class CancelRejectedError extends Error {
  override name = 'CancelRejectedError';
}

export class SagaGateway {
  constructor(
    private readonly client: Client,
    private readonly deadlineMs = 5000,
    private readonly queryDeadlineMs = 3000,
  ) {}

  private within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + ms, fn);
  }

  /** Starts the saga; a second start for the same order finds the first one instead (USE_EXISTING). */
  async start(input: OrderSagaInput): Promise<{ workflowId: string }> {
    const workflowId = orderWorkflowId(input.orderId);
    const memo: OrderMemo = {
      requestId: input.requestId,
      customerId: input.customerId,
      order: orderDetailsOf(input),
    };
    try {
      await this.within(this.deadlineMs, () =>
        this.client.workflow.start(ORDER_SAGA_WORKFLOW_TYPE, {
          ...orderSagaStartOptions(input),
          memo: memo as unknown as Record<string, unknown>,
        }),
      );
    } catch (err) {
      // Closed already (an earlier attempt started it and it finished): it exists, once.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { workflowId };
  }

  /** undefined when no such workflow exists. */
  async snapshot(orderId: string, opts: { query: boolean }): Promise<WorkflowSnapshot | undefined> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(orderId));
    let description;
    try {
      description = await this.within(this.deadlineMs, () => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    if (description.type !== ORDER_SAGA_WORKFLOW_TYPE) return undefined;
    const memo = description.memo as OrderMemo | undefined;
    const running = description.status.name === 'RUNNING';
    let live: SagaStateView | undefined;
    if (opts.query) {
      live = await this.within(this.queryDeadlineMs, () => handle.query(sagaStateQuery)).catch(
        () => undefined,
      );
    }
    const attr = description.typedSearchAttributes.get(OrderStatusKey);
    const customer = description.typedSearchAttributes.get(CustomerIdKey);
    const customerId = live?.customerId ?? memo?.customerId ?? customer;
    if (!customerId) return undefined;
    const fromExecution: OrderStatus = running
      ? 'PENDING'
      : description.status.name === 'COMPLETED'
        ? 'COMPLETED'
        : description.status.name === 'CANCELLED'
          ? 'CANCELLED'
          : 'FAILED';
    const status = live?.status ?? (attr as OrderStatus | undefined) ?? fromExecution;
    return { customerId, running, status, memo, live };
  }

  /** Live saga state from the workflow query; undefined when unreachable. */
  async liveState(orderId: string): Promise<SagaStateView | undefined> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(orderId));
    return this.within(this.queryDeadlineMs, () => handle.query(sagaStateQuery)).catch(() => undefined);
  }

  /**
   * Asks the saga to cancel; CancelRejectedError when it can no longer be cancelled. Returns once the
   * update is accepted, with the final status if the compensations finish within a few seconds, else the
   * current one (they go on in the workflow).
   */
  async cancel(
    orderId: string,
    request: { reason?: string; requestedBy: string },
  ): Promise<{ status: OrderStatus }> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(orderId));
    try {
      const update = await this.within(this.deadlineMs, () =>
        handle.startUpdate(cancelOrderUpdate, { args: [request], waitForStage: 'ACCEPTED' }),
      );
      try {
        const result = await this.within(this.queryDeadlineMs, () => update.result());
        return { status: result.status };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw err;
        const live = await this.liveState(orderId);
        return { status: live?.status ?? 'PENDING' };
      }
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new CancelRejectedError(err.cause?.message ?? err.message);
      }
      if (err instanceof WorkflowNotFoundError) throw new CancelRejectedError('the order has already ended');
      if (isInfrastructureError(err)) throw err;
      const message = (err as Error).message ?? '';
      if (/completed|already|closed|not found/i.test(message)) {
        throw new CancelRejectedError('the order has already ended');
      }
      throw err;
    }
  }
}
