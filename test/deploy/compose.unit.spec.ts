/**
 * No Docker engine runs on the development machines, so docker-compose.yml cannot be started here. This
 * test checks what can be checked without one: it parses, every service the README names is there, every
 * app service runs an entry point that exists in src/, is wired to Postgres and Temporal, sets only
 * variables the config module knows, and every long-running service has a health check; and it describes
 * the same topology as the cluster profile (src/platform/temporal-cluster-topology.ts, the one source): the
 * same server, admin-tools and UI versions, as many Temporal nodes, workers per queue and API instances, the
 * same node environment, the same schema steps and the same namespace and search attributes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { VARIABLES } from '../../src/config';
import {
  NAMESPACE_SEARCH_ATTRIBUTES,
  SCHEMA_STEPS,
  SCHEMA_TOOL_PLUGIN,
  TEMPORAL_NODE_ENV,
  TEMPORAL_NODE_SITE_KEYS,
  TOPOLOGY,
  temporalNodeEnv,
  NODE_PORT_NAMES,
} from '../../src/platform/temporal-cluster-topology';

const root = path.resolve(__dirname, '..', '..');
interface Service {
  build?: string;
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  entrypoint?: string[];
  deploy?: { replicas?: number };
  ports?: string[];
  volumes?: string[];
  networks?: Record<string, { aliases?: string[] }>;
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
const NODES = Array.from({ length: TOPOLOGY.temporalNodes }, (_, i) => `temporal-${i + 1}`);
const INFRA = ['postgres', 'temporal-schema', ...NODES, 'temporal-setup', 'temporal-ui'];
/** one-shot jobs, and the server nodes (the server image has no health command; temporal-setup waits) */
const NO_HEALTHCHECK = ['migrate', 'temporal-schema', 'temporal-setup', ...NODES];
const commandOf = (svc: Service) =>
  Array.isArray(svc.command) ? svc.command.join(' ') : (svc.command ?? '');

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
    for (const name of NODES) {
      const t = compose.services[name]!;
      assert.equal(t.environment?.DB, 'postgres12');
      assert.equal(t.environment?.POSTGRES_SEEDS, 'postgres');
      assert.deepEqual(t.networks?.default?.aliases, ['temporal'], `${name} answers as temporal:7233`);
    }
    assert.equal(compose.services['temporal-ui']!.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    const setup = commandOf(compose.services['temporal-setup']!);
    for (const sa of NAMESPACE_SEARCH_ATTRIBUTES) {
      assert.ok(setup.includes(`--name ${sa.name} --type ${sa.type}`), `registers ${sa.name}`);
    }
  });

  it('gives every long-running service a health check and orders start-up by it', () => {
    for (const name of [...APP, ...INFRA].filter((n) => !NO_HEALTHCHECK.includes(n))) {
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

describe('docker-compose.yml and the cluster profile: one topology', () => {
  const images = Object.values(compose.services).map((svc) => svc.image ?? '');

  it('runs the server, admin-tools and UI versions the cluster profile builds', () => {
    for (const name of NODES) assert.equal(compose.services[name]!.image, TOPOLOGY.images.server);
    assert.equal(compose.services['temporal-schema']!.image, TOPOLOGY.images.adminTools);
    assert.equal(compose.services['temporal-setup']!.image, TOPOLOGY.images.adminTools);
    assert.equal(compose.services['temporal-ui']!.image, TOPOLOGY.images.ui);
    assert.deepEqual(
      images.filter((i) => i.startsWith('temporalio/')).sort(),
      [
        ...NODES.map(() => TOPOLOGY.images.server),
        TOPOLOGY.images.adminTools,
        TOPOLOGY.images.adminTools,
        TOPOLOGY.images.ui,
      ].sort(),
      'no other Temporal image or version',
    );
  });

  it('has as many Temporal nodes, workers per queue and API instances', () => {
    assert.equal(images.filter((i) => i === TOPOLOGY.images.server).length, TOPOLOGY.temporalNodes);
    for (const name of APP.filter((n) => n.startsWith('worker-'))) {
      assert.equal(compose.services[name]!.deploy?.replicas, TOPOLOGY.workersPerQueue, name);
    }
    const api = compose.services.api!;
    assert.equal(api.deploy?.replicas, TOPOLOGY.apiInstances);
    assert.deepEqual(api.ports, [`3000-${3000 + TOPOLOGY.apiInstances - 1}:3000`], 'consecutive host ports');
  });

  it('gives every node the same environment as the profile does', () => {
    const profile = temporalNodeEnv(
      { host: 'h', port: 1, user: 'u', password: 'p' },
      {
        bindOnIp: '127.0.0.1',
        ports: Object.fromEntries(NODE_PORT_NAMES.map((n, i) => [n, 7000 + i])) as never,
      },
    );
    // each container has its own address, so compose keeps the default ports the profile sets per node
    const portKeys = Object.keys(profile).filter((k) => k.endsWith('_PORT') && k !== 'DB_PORT');
    const profileKeys = Object.keys(profile)
      .filter((k) => !portKeys.includes(k))
      .sort();
    for (const name of NODES) {
      const env = compose.services[name]!.environment ?? {};
      assert.deepEqual(Object.keys(env).sort(), profileKeys, `${name}: the same variables`);
      for (const [key, value] of Object.entries(TEMPORAL_NODE_ENV))
        assert.equal(env[key], value, `${name} ${key}`);
      for (const key of TEMPORAL_NODE_SITE_KEYS) assert.ok(env[key], `${name} sets ${key}`);
      const mount = `./${TOPOLOGY.dynamicConfigFile}:${env.DYNAMIC_CONFIG_FILE_PATH}:ro`;
      assert.ok(
        compose.services[name]!.volumes?.includes(mount),
        `${name} mounts ${TOPOLOGY.dynamicConfigFile}`,
      );
    }
    assert.ok(fs.existsSync(path.join(root, TOPOLOGY.dynamicConfigFile)));
  });

  it('sets up the schema with the same steps, in order, and the namespace with the same retention', () => {
    const job = compose.services['temporal-schema']!;
    assert.equal(job.environment?.SQL_PLUGIN, SCHEMA_TOOL_PLUGIN);
    const command = commandOf(job);
    let from = 0;
    for (const args of SCHEMA_STEPS) {
      const step = `temporal-sql-tool ${args.join(' ')}`;
      const at = command.indexOf(step, from);
      assert.ok(at >= 0, `the schema job runs \`${step}\` after the steps before it`);
      from = at + step.length;
    }
    assert.equal(command.match(/temporal-sql-tool/g)?.length, SCHEMA_STEPS.length, 'and no other step');
    for (const name of NODES) {
      assert.deepEqual(compose.services[name]!.depends_on?.['temporal-schema'], {
        condition: 'service_completed_successfully',
      });
    }
    const setup = commandOf(compose.services['temporal-setup']!);
    assert.ok(setup.includes(`--namespace default --retention ${TOPOLOGY.namespaceRetentionHours}h`));
  });
});
