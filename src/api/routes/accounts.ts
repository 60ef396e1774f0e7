/** /accounts: balance (now or as of a past instant), audit trail, deposits (admin, idempotent). */
import { Router } from 'express';
import { assertOwnData, requireAdmin } from '../auth';
import type { AppContext } from '../context';
import { runIdempotent } from '../idempotent';
import { AccountQuery, CustomerId, DepositRequest, EmptyQuery } from '../schemas';
import { idempotencyKeyOf, parseBody, parseWith } from '../validation';

export function accountsRouter(ctx: AppContext): Router {
  const { services, idempotency } = ctx;
  const router = Router();

  router.get('/accounts/:customerId', async (req, res) => {
    const customerId = parseWith(CustomerId, req.params.customerId, 'path');
    assertOwnData(req, customerId, 'account');
    const { asOf } = parseWith(AccountQuery, req.query, 'query');
    const account = await services.payments.getAccount(customerId, asOf ? new Date(asOf) : undefined);
    res.json({
      customerId,
      balance: account.balance,
      currency: 'USD',
      version: account.version,
    });
  });

  router.get('/accounts/:customerId/events', async (req, res) => {
    const customerId = parseWith(CustomerId, req.params.customerId, 'path');
    assertOwnData(req, customerId, 'account');
    parseWith(EmptyQuery, req.query, 'query');
    res.json({ items: await services.payments.getAccountEvents(customerId) });
  });

  router.post('/accounts/:customerId/deposits', async (req, res) => {
    const admin = requireAdmin(req);
    const key = idempotencyKeyOf(req);
    const customerId = parseWith(CustomerId, req.params.customerId, 'path');
    const { amount } = parseBody(DepositRequest, req);
    await runIdempotent(
      idempotency,
      req,
      res,
      async ({ idempotencyKey }) => {
        const result = await services.payments.deposit(
          { customerId, amount },
          { requestId: req.requestId, idempotencyKey, actor: admin.sub },
        );
        return {
          status: 201,
          body: { customerId, balance: result.balance, version: result.version },
        };
      },
      { key },
    );
  });

  return router;
}
