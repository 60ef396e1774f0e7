/**
 * The gateway's side of the saga contract: start an order workflow (exactly once per order id), read its
 * live state, cancel it. Every call has a deadline, so a Temporal outage fails fast (→ 503).
 */
import {
  type Client,
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import {
  cancelOrderUpdate,
  type CancelOrderResult,
  ORDER_SAGA_WORKFLOW_TYPE,
  orderDetailsOf,
  placedOrderOf,
  orderSagaStartOptions,
  orderWorkflowId,
  type OrderSagaInput,
  type OrderStatus,
  sagaStateQuery,
  type SagaStateView,
} from '../workflows/contracts';
import { CustomerIdKey, OrderStatusKey } from '../workflows/search-attributes';
import { ATOMIC_WORKFLOW_TYPES, atomicCommitStartOptions } from '../workflows/atomic-contracts';
import { type CoordinationMode, DEFAULT_COORDINATION, isAtomicCommitMode } from '../domain/coordination';

/** the coordination mode of each workflow type an order can run under */
const MODE_OF_TYPE: Record<string, CoordinationMode> = {
  [ORDER_SAGA_WORKFLOW_TYPE]: DEFAULT_COORDINATION,
  ...Object.fromEntries(Object.entries(ATOMIC_WORKFLOW_TYPES).map(([mode, type]) => [type, mode])),
};
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
  coordination: CoordinationMode;
}

export class CancelRejectedError extends Error {
  override name = 'CancelRejectedError';
}

/**
 * The cancel was sent but the saga did not accept it within the deadline (a busy or restarting worker): it
 * may still be accepted. A retry with the same update id attaches to the same update and gets its outcome.
 */
export class CancelNotYetAcceptedError extends Error {
  override name = 'CancelNotYetAcceptedError';
}

const DEADLINE_EXCEEDED = 4;
const FAILED_PRECONDITION = 9;
/**
 * Whether a cancel's update failed only because the saga could not take it yet, so that a retry with the
 * same update id learns its outcome: our own deadline ran out while the server waited for the saga
 * (DEADLINE_EXCEEDED), or the server refused the update while the saga's last workflow task had failed
 * (FAILED_PRECONDITION "Workflow Task in failed state": a worker killed or timed out mid-task; the server
 * accepts updates again once a task completes).
 */
export function cancelNotYetTaken(err: unknown): boolean {
  const grpc = isGrpcServiceError(err) ? err : err instanceof Error ? err.cause : undefined;
  if (!isGrpcServiceError(grpc)) return false;
  const code = grpc.code as number;
  if (code === DEADLINE_EXCEEDED) return true;
  return code === FAILED_PRECONDITION && /workflow task in failed state/i.test(grpc.details);
}

export class SagaGateway {
  constructor(
    private readonly client: Client,
    private readonly deadlineMs = 5000,
    private readonly queryDeadlineMs = 3000,
    /** 3PC orders: the participants' deadline; undefined: the coordinator's default */
    private readonly threePcTimeoutMs?: number,
  ) {}

  private within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + ms, fn);
  }

  /** Starts the saga; a second start for the same order finds the first one instead (USE_EXISTING). */
  async start(
    input: OrderSagaInput,
    coordination: CoordinationMode = DEFAULT_COORDINATION,
  ): Promise<{ workflowId: string }> {
    const workflowId = orderWorkflowId(input.orderId);
    const memo: OrderMemo = {
      requestId: input.requestId,
      customerId: input.customerId,
      order: orderDetailsOf(input),
    };
    try {
      const memoRecord = memo as unknown as Record<string, unknown>;
      await this.within(this.deadlineMs, () => {
        if (!isAtomicCommitMode(coordination))
          return this.client.workflow.start(ORDER_SAGA_WORKFLOW_TYPE, {
            ...orderSagaStartOptions(input),
            memo: memoRecord,
          });
        const atomic = {
          mode: coordination,
          order: placedOrderOf(input),
          cancellationWindowMs: input.cancellationWindowMs,
          ...(input.requestId ? { requestId: input.requestId } : {}),
          ...(input.tuning?.shipmentBudgetMs !== undefined ||
          (coordination === '3pc' && this.threePcTimeoutMs !== undefined)
            ? {
                tuning: {
                  ...(input.tuning?.shipmentBudgetMs !== undefined && {
                    shipmentBudgetMs: input.tuning.shipmentBudgetMs,
                  }),
                  ...(coordination === '3pc' &&
                    this.threePcTimeoutMs !== undefined && { threePcTimeoutMs: this.threePcTimeoutMs }),
                },
              }
            : {}),
        };
        return this.client.workflow.start(ATOMIC_WORKFLOW_TYPES[coordination], {
          ...atomicCommitStartOptions(atomic),
          memo: memoRecord,
        });
      });
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
    const coordination = MODE_OF_TYPE[description.type];
    if (coordination === undefined) return undefined;
    const memo = description.memo as OrderMemo | undefined;
    const running = description.status.name === 'RUNNING';
    let live: SagaStateView | undefined;
    if (opts.query && coordination === DEFAULT_COORDINATION) {
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
    return { customerId, running, status, memo, live, coordination };
  }

  /** The mode the order runs under (from its workflow type); undefined when unknown or unreachable. */
  async coordinationOf(orderId: string): Promise<CoordinationMode | undefined> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(orderId));
    const d = await this.within(this.queryDeadlineMs, () => handle.describe()).catch(() => undefined);
    return d ? MODE_OF_TYPE[d.type] : undefined;
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
   *
   * `updateId` names the update (the gateway derives it from the request's Idempotency-Key): a retry of the
   * same request attaches to the update the first try sent instead of sending another, so it answers with
   * that update's outcome, even when the first try timed out (CancelNotYetAcceptedError) and the update was
   * accepted later, and even after the saga it cancelled has ended.
   */
  async cancel(
    orderId: string,
    request: { reason?: string; requestedBy: string },
    updateId?: string,
  ): Promise<{ status: OrderStatus }> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(orderId));
    try {
      const update = await this.within(this.deadlineMs, () =>
        handle.startUpdate(cancelOrderUpdate, {
          args: [request],
          waitForStage: 'ACCEPTED',
          ...(updateId !== undefined ? { updateId } : {}),
        }),
      );
      return await this.answer(orderId, () => update.result());
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new CancelRejectedError(err.cause?.message ?? err.message);
      }
      if (cancelNotYetTaken(err)) {
        throw new CancelNotYetAcceptedError('the saga has not accepted the cancellation yet');
      }
      if (isInfrastructureError(err)) throw err;
      const ended =
        err instanceof WorkflowNotFoundError ||
        /completed|already|closed|not found/i.test((err as Error).message ?? '');
      if (!ended) throw err;
      // The saga has ended: maybe by this very update, accepted after an earlier try gave up waiting.
      const earlier = updateId === undefined ? undefined : await this.outcomeOf(orderId, updateId);
      if (earlier) return earlier;
      throw new CancelRejectedError('the order has already ended');
    }
  }

  /** The update's result if it comes within the query deadline, else the saga's current status. */
  private async answer(
    orderId: string,
    result: () => Promise<{ status: OrderStatus }>,
  ): Promise<{ status: OrderStatus }> {
    try {
      return { status: (await this.within(this.queryDeadlineMs, result)).status };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw err;
      const live = await this.liveState(orderId);
      return { status: live?.status ?? 'PENDING' };
    }
  }

  /** The outcome of an update the saga accepted earlier (undefined when it never accepted one by that id). */
  private async outcomeOf(orderId: string, updateId: string): Promise<{ status: OrderStatus } | undefined> {
    const handle = this.client.workflow.getHandle(orderWorkflowId(orderId));
    try {
      const result = await this.within(this.queryDeadlineMs, () =>
        handle.getUpdateHandle<CancelOrderResult>(updateId).result(),
      );
      return { status: result.status };
    } catch (err) {
      if (isInfrastructureError(err)) throw err;
      return undefined; // no such update: the saga ended otherwise
    }
  }
}
