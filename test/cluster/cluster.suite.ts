/**
 * `npm run test:cluster`: the saga end to end on the cluster profile (real Temporal server nodes on
 * Postgres, see src/platform/temporal-cluster.ts), started once for the whole run. Not part of `npm test`
 * (its name does not end in .spec.ts): the server build and a two-node start take minutes, so CI runs it as
 * its own step after `npm test`. The failover scenario runs last because it kills a node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresEndpoint } from '../../src/platform/temporal-cluster';
import { liveHistoryMembers } from '../../src/platform/temporal-cluster-setup';
import { TOPOLOGY } from '../../src/platform/temporal-cluster-topology';
import { SERVICES } from '../../src/platform/stack';
import { startClusterStack, type ClusterStack } from './cluster-stack';
import { failover } from './failover';
import { sagaOutcomes } from './saga-outcomes';

describe('the cluster profile', { timeout: 1_200_000 }, () => {
  let stack: ClusterStack | undefined;
  const ctx = () => {
    assert.ok(stack, 'the cluster stack did not start');
    return stack;
  };
  before(async () => {
    stack = await startClusterStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('runs two server nodes in one ring, two workers per queue and two API instances', async () => {
    const { cluster, stack: s } = ctx();
    assert.equal(cluster.nodes.length, TOPOLOGY.temporalNodes);
    const ring = await liveHistoryMembers(postgresEndpoint(s.postgres!.tcpUrl));
    assert.deepEqual(
      ring,
      cluster.nodes.map((n) => n.ports.historyMembership).sort((a, b) => a - b),
    );
    const names = s.supervisor.names();
    for (const service of SERVICES) {
      assert.deepEqual(
        names.filter((n) => n.startsWith(`${service}-`)),
        [`${service}-1`, `${service}-2`],
      );
    }
    assert.equal(s.apiUrls.length, TOPOLOGY.apiInstances);
    for (const url of s.apiUrls) assert.equal((await fetch(`${url}/health`)).status, 200, url);
    const ui = await fetch(`${cluster.uiUrl}/api/v1/namespaces/default`);
    assert.equal(ui.status, 200, 'the Web UI server answers for the default namespace');
  });

  sagaOutcomes(ctx);
  failover(ctx);
});
