/**
 * The production topology in one place: how many Temporal nodes, workers per queue and API instances, which
 * server and UI versions, the environment every server node renders its config from, the schema set-up and
 * the namespace registration. The cluster profile (temporal-cluster.ts, `npm start -- --cluster`) is built
 * from it, and test/deploy/compose.unit.spec.ts checks docker-compose.yml against it.
 */
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const builds = require(path.join(ROOT, 'scripts', 'temporal-server.js')) as {
  SERVER_VERSION: string;
  UI_VERSION: string;
};
const semver = (goVersion: string) => goVersion.replace(/^v/, '');

export const TOPOLOGY = {
  temporalNodes: 2,
  workersPerQueue: 2,
  apiInstances: 2,
  historyShards: 8,
  versions: { server: semver(builds.SERVER_VERSION), ui: semver(builds.UI_VERSION) },
  images: {
    server: `temporalio/server:${semver(builds.SERVER_VERSION)}`,
    adminTools: `temporalio/admin-tools:${semver(builds.SERVER_VERSION)}`,
    ui: `temporalio/ui:${semver(builds.UI_VERSION)}`,
  },
  databases: { persistence: 'temporal', visibility: 'temporal_visibility' },
  /** how long closed workflows stay visible in each registered namespace */
  namespaceRetentionHours: 72,
  /** read by every node (DYNAMIC_CONFIG_FILE_PATH); compose mounts the same file */
  dynamicConfigFile: 'deploy/temporal/dynamicconfig.yaml',
} as const;

export const DYNAMIC_CONFIG_PATH = path.join(ROOT, TOPOLOGY.dynamicConfigFile);

/**
 * What every server node renders its embedded config template from, wherever it runs. The pool sizes are
 * per service and per node (each node runs frontend, history, matching and worker): 2 nodes × 4 services ×
 * (10 + 5) stays well inside the Postgres connection limit next to the application's own pools.
 */
export const TEMPORAL_NODE_ENV = {
  DB: 'postgres12',
  DBNAME: TOPOLOGY.databases.persistence,
  VISIBILITY_DBNAME: TOPOLOGY.databases.visibility,
  NUM_HISTORY_SHARDS: String(TOPOLOGY.historyShards),
  SQL_MAX_CONNS: '10',
  SQL_MAX_IDLE_CONNS: '10',
  SQL_VIS_MAX_CONNS: '5',
  SQL_VIS_MAX_IDLE_CONNS: '5',
} as const;

/** Variables every node also sets, with values that depend on where it runs (Postgres, its own address). */
export const TEMPORAL_NODE_SITE_KEYS = [
  'POSTGRES_SEEDS',
  'DB_PORT',
  'POSTGRES_USER',
  'POSTGRES_PWD',
  'BIND_ON_IP',
  'DYNAMIC_CONFIG_FILE_PATH',
] as const;

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** A node's full environment on one machine: the shared part, Postgres, its address and its ports. */
export function temporalNodeEnv(
  pg: PostgresEndpoint,
  node: { bindOnIp: string; ports: NodePorts },
): Record<string, string> {
  const p = node.ports;
  const site: Record<(typeof TEMPORAL_NODE_SITE_KEYS)[number], string> = {
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    BIND_ON_IP: node.bindOnIp,
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_PATH,
  };
  return {
    ...TEMPORAL_NODE_ENV,
    ...site,
    FRONTEND_GRPC_PORT: String(p.frontend),
    FRONTEND_HTTP_PORT: String(p.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(p.frontendMembership),
    HISTORY_GRPC_PORT: String(p.history),
    HISTORY_MEMBERSHIP_PORT: String(p.historyMembership),
    MATCHING_GRPC_PORT: String(p.matching),
    MATCHING_MEMBERSHIP_PORT: String(p.matchingMembership),
    WORKER_GRPC_PORT: String(p.worker),
    WORKER_MEMBERSHIP_PORT: String(p.workerMembership),
  };
}

export const NODE_PORT_NAMES = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
] as const;
export type NodePorts = Record<(typeof NODE_PORT_NAMES)[number], number>;

/**
 * The schema set-up, run with `temporal-sql-tool` (SQL_PLUGIN/SQL_HOST/SQL_PORT/SQL_USER/SQL_PASSWORD in its
 * environment) before any node starts, on every start: creating a database that exists is tolerated (`-q`),
 * `setup-schema -v 0.0` only adds the version tables when missing and `update-schema` applies the versions
 * the database does not have yet (an upgrade after a server version bump).
 */
export const SCHEMA_STEPS: readonly (readonly string[])[] = (
  [
    [TOPOLOGY.databases.persistence, 'postgresql/v12/temporal'],
    [TOPOLOGY.databases.visibility, 'postgresql/v12/visibility'],
  ] as const
).flatMap(([db, schema]) => [
  ['-q', '--db', db, 'create-database'],
  ['--db', db, 'setup-schema', '-v', '0.0'],
  ['--db', db, 'update-schema', '--schema-name', schema],
]);

export const SCHEMA_TOOL_PLUGIN = 'postgres12';

/** The saga's search attributes, registered on every namespace of the cluster: the CLI's type name and the API's. */
const TYPE_NAMES = {
  TEXT: ['Text', 1],
  KEYWORD: ['Keyword', 2],
  INT: ['Int', 3],
  DOUBLE: ['Double', 4],
  BOOL: ['Bool', 5],
  DATETIME: ['Datetime', 6],
  KEYWORD_LIST: ['KeywordList', 7],
} as const;
export const NAMESPACE_SEARCH_ATTRIBUTES = SEARCH_ATTRIBUTES.map((k) => ({
  name: k.name,
  type: TYPE_NAMES[k.type][0],
  /** temporal.api.enums.v1.IndexedValueType */
  indexedValueType: TYPE_NAMES[k.type][1],
}));
