import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import { NON_RETRYABLE_TYPES } from './activity-proxies';
import { CancelRequested, classify, errorMessage, errorType } from './failures';

/** An activity failure as the SDK hands it to the workflow: the cause is what the activity (or server) raised. */
const activityFailure = (cause: Error, activityType = 'reserveStock') =>
  new ActivityFailure(
    'Activity task failed',
    activityType,
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    'w',
    cause,
  );
const refused = (type: string) => ApplicationFailure.nonRetryable(`refused: ${type}`, type);

describe('failure classification of the saga', () => {
  it('every non-retryable business refusal is reported with its own type and message at its step', () => {
    for (const type of NON_RETRYABLE_TYPES) {
      assert.deepEqual(classify('chargePayment', activityFailure(refused(type)), undefined), {
        step: 'chargePayment',
        type,
        message: `refused: ${type}`,
      });
    }
  });

  it('a retryable failure that ran out of attempts is RetriesExhausted with the innermost message', () => {
    const exhausted = activityFailure(ApplicationFailure.retryable('connection refused', 'Error'));
    assert.deepEqual(classify('reserveStock', exhausted, undefined), {
      step: 'reserveStock',
      type: 'RetriesExhausted',
      message: 'connection refused',
    });
  });

  it('at the shipment step a failure that is not a refusal is CarrierUnavailable', () => {
    const budget = activityFailure(new TimeoutFailure('timed out', undefined, 'SCHEDULE_TO_CLOSE'));
    assert.deepEqual(classify('createShipment', budget, undefined), {
      step: 'createShipment',
      type: 'CarrierUnavailable',
      message: 'carrier unavailable: timed out',
    });
  });

  it('a refusal at the shipment step keeps its own type', () => {
    const f = classify('createShipment', activityFailure(refused('ShipmentAlreadyDispatched')), undefined);
    assert.equal(f.type, 'ShipmentAlreadyDispatched');
  });

  it('an accepted cancel is Cancelled with its reason, whether the step helper or Temporal stopped the saga', () => {
    const cancel = { reason: 'changed my mind' };
    for (const err of [new CancelRequested(), new CancelledFailure('cancelled')]) {
      assert.deepEqual(classify('chargePayment', err, cancel), {
        step: 'chargePayment',
        type: 'Cancelled',
        message: 'changed my mind',
      });
    }
    assert.equal(classify('placeOrder', new CancelRequested(), {}).message, 'cancelled');
  });

  it('a Temporal cancellation without an accepted cancel is Cancelled as "workflow cancelled"', () => {
    const cancelledActivity = activityFailure(new CancelledFailure('cancelled'));
    assert.deepEqual(classify('reserveStock', cancelledActivity, undefined), {
      step: 'reserveStock',
      type: 'Cancelled',
      message: 'workflow cancelled',
    });
  });

  it('anything else is a bug: it is rethrown, not reported as a business outcome', () => {
    const bug = new TypeError('x is undefined');
    assert.throws(
      () => classify('reserveStock', bug, undefined),
      (e) => e === bug,
    );
  });

  it("a local activity's failure arrives unwrapped and is classified like an activity's", () => {
    assert.deepEqual(classify('placeOrder', refused('InvalidOrder'), undefined), {
      step: 'placeOrder',
      type: 'InvalidOrder',
      message: 'refused: InvalidOrder',
    });
    const exhausted = ApplicationFailure.retryable('orders store unavailable', 'Error');
    assert.equal(classify('placeOrder', exhausted, undefined).type, 'RetriesExhausted');
    const timeout = new TimeoutFailure('timed out', undefined, 'SCHEDULE_TO_CLOSE');
    assert.equal(classify('placeOrder', timeout, undefined).type, 'RetriesExhausted');
  });

  it('errorMessage and errorType read the innermost cause', () => {
    const f = activityFailure(refused('InsufficientFunds'));
    assert.equal(errorMessage(f), 'refused: InsufficientFunds');
    assert.equal(errorType(f), 'InsufficientFunds');
    assert.equal(
      errorType(activityFailure(new TimeoutFailure('t', undefined, 'START_TO_CLOSE'))),
      'TimeoutFailure',
    );
    assert.equal(errorType('a string'), 'Unknown');
    assert.equal(errorMessage('a string'), 'a string');
  });
});
