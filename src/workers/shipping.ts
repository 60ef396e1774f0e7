/** The `shipping` task queue's worker process: `node dist/workers/shipping.js` (env-only config; DATABASE_URL required). */
import { main } from './run-worker';

main('shipping');
