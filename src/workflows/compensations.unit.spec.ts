import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compensations, type CompensationHooks, type Shield } from './compensations';

// Temporal's non-cancellable scope exists only inside a workflow; outside it these specs shield the
// unwinding with a plain call (stated in the titles) and check the stack's order and retry logic.
const plainCall: Shield = (fn) => fn();

/** A stack whose undos record into `log`; `fail[name]` makes that undo fail that many times first. */
function stackOf(names: string[], log: string[], fail: Record<string, number> = {}): Compensations {
  const stack = new Compensations(plainCall);
  for (const name of names) {
    stack.push(name, () => {
      log.push(`undo ${name}`);
      const left = fail[name] ?? 0;
      if (left > 0) {
        fail[name] = left - 1;
        return Promise.reject(new Error(`${name} failed`));
      }
      return Promise.resolve();
    });
  }
  return stack;
}

const recordingHooks = (log: string[]): CompensationHooks => ({
  onRun: (name) => log.push(`run ${name}`),
  onDone: (name) => log.push(`done ${name}`),
  onBlocked: (name, err) => {
    log.push(`blocked ${name}: ${(err as Error).message}`);
    return Promise.resolve();
  },
});

describe('compensation stack (shielded by a plain call instead of the workflow scope)', () => {
  it('lists the pending undos newest first and counts them', () => {
    const stack = stackOf(['rejectOrder', 'releaseStock', 'refundPayment'], []);
    assert.deepEqual(stack.pending(), ['refundPayment', 'releaseStock', 'rejectOrder']);
    assert.equal(stack.size, 3);
    assert.deepEqual(new Compensations(plainCall).pending(), []);
    assert.equal(new Compensations(plainCall).size, 0);
  });

  it('unwinding runs every undo once, newest first, and returns the names in that order', async () => {
    const log: string[] = [];
    const stack = stackOf(['rejectOrder', 'releaseStock', 'refundPayment', 'cancelShipment'], log);
    const ran = await stack.unwind({ onBlocked: () => Promise.reject(new Error('no undo failed')) });
    assert.deepEqual(ran, { ran: ['cancelShipment', 'refundPayment', 'releaseStock', 'rejectOrder'] });
    assert.deepEqual(log, [
      'undo cancelShipment',
      'undo refundPayment',
      'undo releaseStock',
      'undo rejectOrder',
    ]);
  });

  it('after unwinding the stack is empty and a second unwind runs nothing', async () => {
    const log: string[] = [];
    const stack = stackOf(['rejectOrder', 'releaseStock'], log);
    await stack.unwind(recordingHooks([]));
    assert.deepEqual(stack.pending(), []);
    assert.equal(stack.size, 0);
    assert.deepEqual(await stack.unwind(recordingHooks([])), { ran: [] });
    assert.deepEqual(log, ['undo releaseStock', 'undo rejectOrder']);
  });

  it('an empty stack unwinds to an empty list without calling a hook', async () => {
    const log: string[] = [];
    assert.deepEqual(await new Compensations(plainCall).unwind(recordingHooks(log)), { ran: [] });
    assert.deepEqual(log, []);
  });

  it('each undo is announced before it runs and reported done after it finished', async () => {
    const log: string[] = [];
    await stackOf(['releaseStock', 'refundPayment'], log).unwind(recordingHooks(log));
    assert.deepEqual(log, [
      'run refundPayment',
      'undo refundPayment',
      'done refundPayment',
      'run releaseStock',
      'undo releaseStock',
      'done releaseStock',
    ]);
  });

  it('without onRun and onDone hooks the undos still run', async () => {
    const log: string[] = [];
    const ran = await stackOf(['releaseStock', 'refundPayment'], log).unwind({
      onBlocked: () => Promise.resolve(),
    });
    assert.deepEqual(ran, { ran: ['refundPayment', 'releaseStock'] });
    assert.deepEqual(log, ['undo refundPayment', 'undo releaseStock']);
  });

  it('a failed undo blocks with its error, is retried when unblocked, and the older undos wait for it', async () => {
    const log: string[] = [];
    const stack = stackOf(['rejectOrder', 'releaseStock', 'refundPayment'], log, { releaseStock: 2 });
    const ran = await stack.unwind(recordingHooks(log));
    assert.deepEqual(ran, { ran: ['refundPayment', 'releaseStock', 'rejectOrder'] });
    assert.deepEqual(log, [
      'run refundPayment',
      'undo refundPayment',
      'done refundPayment',
      'run releaseStock',
      'undo releaseStock',
      'blocked releaseStock: releaseStock failed',
      'undo releaseStock',
      'blocked releaseStock: releaseStock failed',
      'undo releaseStock',
      'done releaseStock',
      'run rejectOrder',
      'undo rejectOrder',
      'done rejectOrder',
    ]);
  });

  it('when the blocked wait itself fails, unwinding fails and the failed undo and older ones stay pending', async () => {
    const log: string[] = [];
    const stack = stackOf(['rejectOrder', 'releaseStock', 'refundPayment'], log, { releaseStock: 1 });
    const gaveUp = new Error('workflow torn down while blocked');
    await assert.rejects(
      stack.unwind({ ...recordingHooks(log), onBlocked: () => Promise.reject(gaveUp) }),
      (err) => err === gaveUp,
    );
    assert.deepEqual(stack.pending(), ['releaseStock', 'rejectOrder']);
    assert.deepEqual(log, [
      'run refundPayment',
      'undo refundPayment',
      'done refundPayment',
      'run releaseStock',
      'undo releaseStock',
    ]);
  });

  it('the whole unwinding runs inside the shield, and its result is what the shield returns', async () => {
    const log: string[] = [];
    const recordingShield: Shield = async (fn) => {
      log.push('shield enter');
      const result = await fn();
      log.push('shield exit');
      return result;
    };
    const stack = new Compensations(recordingShield);
    stack.push('releaseStock', () => Promise.resolve(log.push('undo releaseStock')));
    stack.push('refundPayment', () => Promise.resolve(log.push('undo refundPayment')));
    assert.deepEqual(await stack.unwind({ onBlocked: () => Promise.resolve() }), {
      ran: ['refundPayment', 'releaseStock'],
    });
    assert.deepEqual(log, ['shield enter', 'undo refundPayment', 'undo releaseStock', 'shield exit']);
  });

  it('an undo whose effect stands stops the unwinding there: nothing older runs and it is not blocked', async () => {
    const log: string[] = [];
    const stack = stackOf(['releaseStock', 'refundPayment', 'cancelShipment'], log, { cancelShipment: 1 });
    const result = await stack.unwind({
      ...recordingHooks(log),
      stands: (name) => name === 'cancelShipment',
    });
    assert.deepEqual(result, { ran: [], stoppedAt: 'cancelShipment' });
    assert.deepEqual(log, ['run cancelShipment', 'undo cancelShipment']);
    assert.deepEqual(stack.pending(), ['cancelShipment', 'refundPayment', 'releaseStock']);
  });

  it('an undo that fails but does not stand is blocked and retried, as without the stands hook', async () => {
    const log: string[] = [];
    const stack = stackOf(['releaseStock', 'refundPayment'], log, { refundPayment: 1 });
    const result = await stack.unwind({ ...recordingHooks(log), stands: () => false });
    assert.deepEqual(result, { ran: ['refundPayment', 'releaseStock'] });
    assert.ok(log.includes('blocked refundPayment: refundPayment failed'));
  });
});
