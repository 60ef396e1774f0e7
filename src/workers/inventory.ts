/** The `inventory` task queue's worker process: `node dist/workers/inventory.js` (env-only config; DATABASE_URL required). */
import { main } from './run-worker';

main('inventory');
