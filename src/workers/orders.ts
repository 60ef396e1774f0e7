/** The `orders` task queue's worker process: `node dist/workers/orders.js` (env-only config; DATABASE_URL required). */
import { main } from './run-worker';

main('orders');
