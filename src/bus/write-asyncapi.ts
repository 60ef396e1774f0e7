/** Rewrites docs/asyncapi.json from the bus's sources: `npm run asyncapi`. */
import fs from 'node:fs';
import path from 'node:path';
import { asyncApiText } from './asyncapi';

export const ASYNCAPI_FILE = path.resolve(__dirname, '..', '..', 'docs', 'asyncapi.json');

if (require.main === module) {
  fs.writeFileSync(ASYNCAPI_FILE, asyncApiText());
  console.log(`wrote ${path.relative(process.cwd(), ASYNCAPI_FILE)}`);
}
