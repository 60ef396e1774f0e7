/** Payment activities (task queue `payments`): charge / refund the customer's account, once per order. */
import type { EventMetadata } from '../../eventstore/types';
import { activityMetadata, run } from '../common';

export interface PaymentsPort {
  /** InsufficientFunds when the balance is short; repeat for the same order = no-op */
  charge(customerId: string, orderId: string, amount: number, meta: EventMetadata): Promise<unknown>;
  /** refunds exactly this order's charge, once; no-op when there is no charge */
  refund(customerId: string, orderId: string, meta: EventMetadata): Promise<unknown>;
}

export function createPaymentActivities(deps: { payments: PaymentsPort }) {
  const { payments } = deps;
  return {
    async chargePayment(args: {
      orderId: string;
      customerId: string;
      amount: number;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(() =>
        payments.charge(args.customerId, args.orderId, args.amount, activityMetadata(args.key, args)),
      );
    },
    async refundPayment(args: {
      orderId: string;
      customerId: string;
      key: string;
      requestId?: string;
    }): Promise<void> {
      await run(() => payments.refund(args.customerId, args.orderId, activityMetadata(args.key, args)));
    },
  };
}
export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
