/** The payments service's saga steps (task queue `payments`): charge and refund, one line each. */
import type { PaymentsService } from '../../services/payments';
import { nothing, stepMeta, type Step } from '../step-meta';

type Args<M extends keyof PaymentsService> = Parameters<PaymentsService[M]>[0] & Step;

export const createPaymentActivities = ({ payments }: { payments: PaymentsService }) => ({
  chargePayment: ({ key, requestId, ...charge }: Args<'charge'>) =>
    payments.charge(charge, stepMeta(key, charge.orderId, requestId)).then(nothing),
  refundPayment: ({ key, requestId, ...refund }: Args<'refund'>) =>
    payments.refund(refund, stepMeta(key, refund.orderId, requestId)).then(nothing),
});
export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
