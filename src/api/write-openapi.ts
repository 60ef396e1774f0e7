/** Rewrites docs/openapi.json from the schemas: `node --import tsx src/api/write-openapi.ts`. */
import fs from 'node:fs';
import path from 'node:path';
import { openApiText } from './openapi';

export const OPENAPI_FILE = path.resolve(__dirname, '..', '..', 'docs', 'openapi.json');

if (require.main === module) {
  fs.writeFileSync(OPENAPI_FILE, openApiText());
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
}
