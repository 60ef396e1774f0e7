import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import { README, withConfigTable } from './config-docs';

it('the README configuration table lists every variable of src/config.ts with its default', () => {
  const readme = fs.readFileSync(README, 'utf8');
  assert.equal(readme, withConfigTable(readme), 'README.md is out of date: run `npm run config:docs`');
});
