/** /inventory: catalog entries and stock. Writes are admin-only; restock is idempotent by key. */
import { Router } from 'express';
import { principalOf, requireAdmin } from '../auth';
import type { AppContext } from '../context';
import { runIdempotent } from '../idempotent';
import { assertBusEnabled, notFound } from '../problem';
import { RestockRequest, Sku, UpsertItemRequest } from '../schemas';
import { idempotencyKeyOf, parseBody, parseWith } from '../validation';

export function inventoryRouter(ctx: AppContext): Router {
  const { services, idempotency } = ctx;
  const router = Router();

  router.get('/inventory/:sku', async (req, res) => {
    principalOf(req);
    const sku = parseWith(Sku, req.params.sku, 'path');
    const item = (await services.inventory.getItems([sku])).get(sku);
    if (!item) throw notFound('item');
    res.json(item);
  });

  router.get('/inventory/:sku/demand', async (req, res) => {
    principalOf(req);
    assertBusEnabled(ctx.config, 'The per-SKU demand');
    const sku = parseWith(Sku, req.params.sku, 'path');
    if (!(await services.inventory.getItems([sku])).has(sku)) throw notFound('item');
    res.json(await services.inventory.getDemand(sku));
  });

  router.put('/inventory/:sku', async (req, res) => {
    const admin = requireAdmin(req);
    const sku = parseWith(Sku, req.params.sku, 'path');
    const body = parseBody(UpsertItemRequest, req);
    const { created, item } = await services.inventory.upsertItem(
      { sku, ...body },
      // PUT is naturally idempotent (same body → same entry); no key: each edit is a new catalog event
      { requestId: req.requestId, actor: admin.sub },
    );
    res.status(created ? 201 : 200).json(item);
  });

  router.post('/inventory/:sku/restock', async (req, res) => {
    const admin = requireAdmin(req);
    const key = idempotencyKeyOf(req);
    const sku = parseWith(Sku, req.params.sku, 'path');
    const { quantity } = parseBody(RestockRequest, req);
    await runIdempotent(
      idempotency,
      req,
      res,
      async ({ idempotencyKey }) => {
        const item = await services.inventory.restock(
          { sku, quantity },
          { requestId: req.requestId, idempotencyKey, actor: admin.sub },
        );
        if (!item) throw notFound('item');
        return { status: 200, body: item };
      },
      { key },
    );
  });

  return router;
}
