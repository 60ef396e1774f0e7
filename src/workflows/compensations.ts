/**
 * The compensation stack: undos are pushed before their steps and run newest-first inside
 * `CancellationScope.nonCancellable`, so a cancelled workflow still compensates. An undo that fails after its
 * retry budget is neither skipped nor swallowed: `onBlocked` waits (the saga parks in COMPENSATION_BLOCKED)
 * and the same undo is tried again (src/workflows/README.md, "A blocked compensation"). An undo refused because
 * its step's effect stands (a parcel that has left) stops the unwinding, if `stands` says so: the saga then
 * rolls forward instead (nothing older was undone: the refused undo was the newest).
 */
import { CancellationScope } from '@temporalio/workflow';

export interface CompensationHooks {
  /** called before an undo runs */
  onRun?: (name: string) => void;
  /** called after an undo finished */
  onDone?: (name: string) => void;
  /** an undo exhausted its retry budget; resolve to retry it (the saga waits here, visibly) */
  onBlocked: (name: string, error: unknown) => Promise<void>;
  /** an undo failed because its step's effect cannot be undone: true stops the unwinding there */
  stands?: (name: string, error: unknown) => boolean;
}

/** How an unwinding ended: every undo ran, or it stopped at an undo whose step's effect stands. */
export interface Unwound {
  ran: string[];
  stoppedAt?: string;
}

interface Entry {
  name: string;
  undo: () => Promise<unknown>;
}

/** Runs the unwinding so that a workflow cancellation cannot interrupt it. */
export type Shield = <T>(fn: () => Promise<T>) => Promise<T>;

const nonCancellable: Shield = (fn) => CancellationScope.nonCancellable(fn);

export class Compensations {
  private readonly stack: Entry[] = [];

  /**
   * `shield` is Temporal's non-cancellable scope; the unit spec passes one that just runs the function, to
   * check the stack's order and retry logic outside the workflow sandbox.
   */
  constructor(private readonly shield: Shield = nonCancellable) {}

  push(name: string, undo: () => Promise<unknown>): void {
    this.stack.push({ name, undo });
  }

  /** names still on the stack, newest first */
  pending(): string[] {
    return this.stack.map((e) => e.name).reverse();
  }

  get size(): number {
    return this.stack.length;
  }

  /** Runs every undo newest-first; returns the names in the order they ran (and where it stopped). */
  async unwind(hooks: CompensationHooks): Promise<Unwound> {
    return this.shield(async () => {
      const ran: string[] = [];
      for (let entry = this.stack.at(-1); entry !== undefined; entry = this.stack.at(-1)) {
        hooks.onRun?.(entry.name);
        for (;;) {
          try {
            await entry.undo();
            break;
          } catch (err) {
            if (hooks.stands?.(entry.name, err)) return { ran, stoppedAt: entry.name };
            await hooks.onBlocked(entry.name, err);
          }
        }
        this.stack.pop();
        ran.push(entry.name);
        hooks.onDone?.(entry.name);
      }
      return { ran };
    });
  }
}
