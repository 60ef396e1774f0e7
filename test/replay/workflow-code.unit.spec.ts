import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  type CaptureManifest,
  codeHash,
  contentHash,
  MANIFEST_FILE,
  moduleHashes,
  moduleName,
  staleness,
} from './workflow-code';

const version = (dir: string) => (dir.endsWith('workflow') ? '1.24.0' : '5.3.2');

describe('the workflow code hash of the replay captures', () => {
  it('names a module the same wherever the checkout lives', () => {
    for (const root of ['/work/main', '/tmp/fresh-clone']) {
      const at = (...p: string[]) => path.join(root, ...p);
      assert.deepEqual(moduleName(at('src/workflows/order-saga.ts'), root, version), {
        path: 'src/workflows/order-saga.ts',
      });
      assert.deepEqual(moduleName(at('node_modules/@temporalio/workflow/lib/workflow.js'), root, version), {
        packageId: '@temporalio/workflow@1.24.0',
        path: 'lib/workflow.js',
      });
      // a nested copy is named by its own package and version, not by where npm put it
      assert.deepEqual(
        moduleName(at('node_modules/@temporalio/common/node_modules/long/umd/index.js'), root, version),
        { packageId: 'long@5.3.2', path: 'umd/index.js' },
      );
    }
    assert.deepEqual(moduleName('/elsewhere/order-saga.ts', '/work/main', version), {
      path: '(outside the repository)/order-saga.ts',
    });
  });

  it('one entry per project file and per package; the hash does not depend on the order found', () => {
    const files = [
      { path: 'src/workflows/order-saga.ts', hash: 'a' },
      { packageId: 'long@5.3.2', path: 'index.js', hash: 'b' },
      { packageId: 'long@5.3.2', path: 'umd/index.js', hash: 'c' },
    ];
    const modules = moduleHashes(files);
    assert.deepEqual(Object.keys(modules), ['long@5.3.2', 'src/workflows/order-saga.ts']);
    assert.equal(codeHash(modules), codeHash(moduleHashes([...files].reverse())));
    const changed = moduleHashes([files[0]!, files[1]!, { ...files[2]!, hash: 'c2' }]);
    assert.notEqual(changed['long@5.3.2'], modules['long@5.3.2']);
    assert.notEqual(codeHash(changed), codeHash(modules));
  });

  describe('staleness: why the histories of the current code are not fresh', () => {
    const code = { hash: 'new', modules: { 'src/workflows/order-saga.ts': 's2', 'src/workflows/x.ts': 'x' } };
    const history = { name: 'happy-path', json: { events: [1] } };
    const manifest = (over: Partial<CaptureManifest> = {}): CaptureManifest => ({
      about: '',
      workflowCode: code,
      histories: { 'happy-path': { workflowCode: 'new', content: contentHash(history.json) } },
      ...over,
    });

    it('nothing when every history was captured from the current code and not edited since', () => {
      assert.deepEqual(staleness(manifest(), code, [history]), []);
    });

    it('no manifest at all', () => {
      assert.match(staleness(undefined, code, [history]).join(), new RegExp(`no ${MANIFEST_FILE}`));
    });

    it('the code changed since the newest capture: names the history and the changed modules', () => {
      const old = manifest({
        workflowCode: {
          hash: 'old',
          modules: { 'src/workflows/order-saga.ts': 's1', 'src/workflows/y.ts': 'y' },
        },
        histories: { 'happy-path': { workflowCode: 'old', content: contentHash(history.json) } },
      });
      assert.deepEqual(staleness(old, code, [history]), [
        'happy-path: captured from older workflow code',
        'src/workflows/order-saga.ts: changed since the newest capture',
        'src/workflows/x.ts: added to the workflow bundle since the newest capture',
        'src/workflows/y.ts: no longer in the workflow bundle',
      ]);
    });

    it('a history captured only partly again, one left from older code', () => {
      const m = manifest();
      m.histories['no-stock'] = { workflowCode: 'old', content: contentHash({ events: [2] }) };
      assert.deepEqual(staleness(m, code, [history, { name: 'no-stock', json: { events: [2] } }]), [
        'no-stock: captured from older workflow code',
      ]);
    });

    it('a history edited after its capture, or never recorded', () => {
      assert.deepEqual(
        staleness(manifest(), code, [
          { name: 'happy-path', json: { events: [1, 'edited'] } },
          { name: 'new-path', json: {} },
        ]),
        ['happy-path: edited after its capture', `new-path: not recorded in ${MANIFEST_FILE}`],
      );
    });
  });
});
