/**
 * No Docker engine runs on the development machines, so docker-compose.yml cannot be started here. This
 * test checks what can be checked without one: it parses, every service the README names is there, every
 * app service runs an entry point that exists in src/, is wired to Postgres and Temporal, sets only
 * variables the config module knows, and every long-running service has a health check.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { VARIABLES } from '../../src/config';

const root = path.resolve(__dirname, '..', '..');
interface Service {
  build?: string;
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const APP = [
  'api',
  'carrier',
  'migrate',
  'worker-orders',
  'worker-inventory',
  'worker-payments',
  'worker-shipping',
];
const INFRA = ['postgres', 'temporal', 'temporal-setup', 'temporal-ui'];

describe('docker-compose.yml', () => {
  it('has every service, and the README names each of them', () => {
    for (const name of [...APP, ...INFRA]) {
      assert.ok(compose.services[name], `service ${name} missing from docker-compose.yml`);
      assert.ok(readme.includes(`\`${name}\``), `README does not name compose service \`${name}\``);
    }
  });

  it('builds every app service from the one Dockerfile and runs an entry point that exists', () => {
    assert.ok(fs.existsSync(path.join(root, 'Dockerfile')));
    for (const name of APP) {
      const svc = compose.services[name]!;
      assert.equal(svc.build, '.', `${name} must build from the Dockerfile`);
      const cmd = Array.isArray(svc.command) ? svc.command : [];
      const js = cmd.find((c) => c.startsWith('dist/'));
      assert.ok(js, `${name} has no dist/ entry point`);
      const src = path.join(root, js.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
      assert.ok(fs.existsSync(src), `${name} runs ${js} but ${path.relative(root, src)} does not exist`);
    }
  });

  it('wires every app service to Postgres and Temporal with known variables only', () => {
    for (const name of APP) {
      const env = compose.services[name]!.environment ?? {};
      assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/[^@]+@postgres:5432\//, `${name} DATABASE_URL`);
      if (name !== 'migrate' && name !== 'carrier')
        assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233', `${name} TEMPORAL_ADDRESS`);
      for (const key of Object.keys(env)) {
        assert.ok(key in VARIABLES, `${name} sets ${key}, which src/config.ts does not know`);
      }
    }
    assert.match(compose.services.api!.environment!.AUTH_JWT_SECRET ?? '', /AUTH_JWT_SECRET/);
  });

  it('points Temporal and its UI at the right places and registers the search attributes', () => {
    const t = compose.services.temporal!;
    assert.equal(t.environment?.DB, 'postgres12');
    assert.equal(t.environment?.POSTGRES_SEEDS, 'postgres');
    assert.equal(compose.services['temporal-ui']!.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    const setup = JSON.stringify(compose.services['temporal-setup']!.command);
    for (const sa of ['CustomerId', 'OrderStatus']) assert.ok(setup.includes(`--name ${sa} --type Keyword`));
  });

  it('gives every long-running service a health check and orders start-up by it', () => {
    for (const name of [...APP, ...INFRA].filter((n) => n !== 'migrate' && n !== 'temporal-setup')) {
      assert.ok(compose.services[name]!.healthcheck, `${name} has no healthcheck`);
    }
    for (const name of APP.filter((n) => n.startsWith('worker-') || n === 'api')) {
      const deps = compose.services[name]!.depends_on ?? {};
      assert.equal(
        deps.migrate?.condition,
        'service_completed_successfully',
        `${name} must wait for migrations`,
      );
    }
  });
});
