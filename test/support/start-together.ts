/**
 * Starts a spec's components in parallel. When one fails to start, the ones that did are stopped before the
 * error is thrown: a `before` hook that fails half way must not leave a broker, a Postgres or a Temporal dev
 * server running that its `after` cannot reach (the hook never assigned them), keeping the file's process alive.
 */
export interface Stoppable {
  dispose?(): Promise<void>;
  stop?(): Promise<void>;
  teardown?(): Promise<void>;
  close?(): Promise<void>;
}

const stopOne = async (x: Stoppable): Promise<void> => {
  if (x.dispose) await x.dispose();
  else if (x.teardown) await x.teardown();
  else if (x.stop) await x.stop();
  else if (x.close) await x.close();
};

export async function startTogether<T extends readonly Stoppable[]>(
  ...starts: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<Stoppable>).value) as unknown as T;
  await Promise.allSettled(settled.flatMap((s) => (s.status === 'fulfilled' ? [stopOne(s.value)] : [])));
  throw failed.reason;
}
