/** SagaGateway's reading of a failed cancel update: which gRPC failures mean "not taken yet, retry". */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cancelNotYetTaken } from './sagas';

/** a gRPC error as @grpc/grpc-js raises it (code, details, metadata), wrapped as the SDK wraps it */
const grpc = (code: number, details: string) =>
  new Error('Workflow Update failed', {
    cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }),
  });

describe('cancelNotYetTaken (no server: gRPC errors built as the client raises them)', () => {
  it('our deadline ran out while the server waited for the saga: not taken yet', () => {
    assert.equal(cancelNotYetTaken(grpc(4, 'Deadline exceeded after 5.000s')), true);
  });
  it('the server refused the update while the saga’s workflow task had failed: not taken yet', () => {
    const failedTask = 'Unable to perform workflow execution update due to Workflow Task in failed state.';
    assert.equal(cancelNotYetTaken(grpc(9, failedTask)), true);
  });
  it('any other failed precondition, an unavailable server or a plain error: not this case', () => {
    assert.equal(cancelNotYetTaken(grpc(9, 'workflow execution already completed')), false);
    assert.equal(cancelNotYetTaken(grpc(14, 'connection refused')), false);
    assert.equal(cancelNotYetTaken(new Error('boom')), false);
  });
});
