import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decrementPN,
  emptyGCounter,
  emptyPNCounter,
  increment,
  incrementPN,
  lessOrEqual,
  merge,
  mergePN,
  value,
  valuePN,
  type GCounter,
  type PNCounter,
} from '.';

const slot = fc.constantFrom('a', 'b', 'c', 'd');
const gCounter: fc.Arbitrary<GCounter> = fc.dictionary(slot, fc.nat({ max: 1_000_000 }));
const pnCounter: fc.Arbitrary<PNCounter> = fc.record({ p: gCounter, n: gCounter });
/** an operation a replica applies to its own slot */
const op = fc.record({ slot, by: fc.nat({ max: 100 }), down: fc.boolean() });

const sameG = (x: GCounter, y: GCounter) => lessOrEqual(x, y) && lessOrEqual(y, x);
const samePN = (x: PNCounter, y: PNCounter) => sameG(x.p, y.p) && sameG(x.n, y.n);

describe('G-Counter', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(gCounter, gCounter, gCounter, (a, b, c) => {
        assert.ok(sameG(merge(a, b), merge(b, a)), 'commutative');
        assert.ok(sameG(merge(merge(a, b), c), merge(a, merge(b, c))), 'associative');
        assert.ok(sameG(merge(a, a), a), 'idempotent');
      }),
    );
  });

  it('the value never goes backwards under merges, and a merge is an upper bound of both sides', () => {
    fc.assert(
      fc.property(gCounter, fc.array(gCounter, { maxLength: 8 }), (start, others) => {
        let state = start;
        for (const other of others) {
          const next = merge(state, other);
          assert.ok(value(next) >= value(state), 'value went backwards');
          assert.ok(lessOrEqual(state, next) && lessOrEqual(other, next));
          state = next;
        }
      }),
    );
  });

  it('replicas that each count their own increments and exchange states in any order agree on the total', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), fc.infiniteStream(fc.nat()), (ops, picks) => {
        const replicas = new Map<string, GCounter>();
        let total = 0;
        for (const o of ops) {
          replicas.set(o.slot, increment(replicas.get(o.slot) ?? emptyGCounter(), o.slot, o.by));
          total += o.by;
        }
        const states = [...replicas.values()];
        // merge in an arbitrary order, with repeats
        const it = picks[Symbol.iterator]();
        let merged = emptyGCounter();
        for (let i = 0; i < states.length * 2; i++)
          merged = merge(merged, states[it.next().value % states.length]!);
        for (const s of states) merged = merge(merged, s);
        assert.equal(value(merged), total);
      }),
    );
  });

  it('refuses a negative or fractional increment', () => {
    assert.throws(() => increment({}, 'a', -1), RangeError);
    assert.throws(() => increment({}, 'a', 0.5), RangeError);
  });
});

describe('PN-Counter', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(pnCounter, pnCounter, pnCounter, (a, b, c) => {
        assert.ok(samePN(mergePN(a, b), mergePN(b, a)));
        assert.ok(samePN(mergePN(mergePN(a, b), c), mergePN(a, mergePN(b, c))));
        assert.ok(samePN(mergePN(a, a), a));
      }),
    );
  });

  it('replicas counting ups and downs in their own slots merge to the net total', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
        const replicas = new Map<string, PNCounter>();
        let net = 0;
        for (const o of ops) {
          const r = replicas.get(o.slot) ?? emptyPNCounter();
          replicas.set(o.slot, o.down ? decrementPN(r, o.slot, o.by) : incrementPN(r, o.slot, o.by));
          net += o.down ? -o.by : o.by;
        }
        const states = [...replicas.values()];
        const forward = states.reduce(mergePN, emptyPNCounter());
        const backward = [...states].reverse().reduce(mergePN, emptyPNCounter());
        assert.equal(valuePN(forward), net);
        assert.equal(valuePN(backward), net);
      }),
    );
  });
});
