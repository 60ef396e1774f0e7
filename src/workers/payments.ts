/** The `payments` task queue's worker process: `node dist/workers/payments.js` (env-only config; DATABASE_URL required). */
import { main } from './run-worker';

main('payments');
