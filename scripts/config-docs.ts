/**
 * Renders the configuration table of README.md from src/config.ts (VARIABLES), between the markers
 * <!-- config:start --> and <!-- config:end -->. `npm run config:docs` rewrites it; a unit test checks
 * that the committed README matches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VARIABLES } from '../src/config';

export const README = path.resolve(__dirname, '..', 'README.md');
const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

export function renderConfigTable(): string {
  const rows = Object.entries(VARIABLES).map(([name, spec]) => {
    const def = 'default' in spec && spec.default !== undefined ? `\`${spec.default}\`` : '—';
    return `| \`${name}\` | ${def} | ${spec.doc.replace(/\|/g, '\\|')} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function withConfigTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${renderConfigTable()}\n${readme.slice(b)}`;
}

if (require.main === module) {
  const current = fs.readFileSync(README, 'utf8');
  fs.writeFileSync(README, withConfigTable(current));
  process.stdout.write('README.md configuration table updated\n');
}
