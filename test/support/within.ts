/** Fails (instead of hanging the file) when p does not settle within ms; `describe` explains what it waited for. */
export async function within<T>(
  p: Promise<T>,
  ms: number,
  describe: () => Promise<string> | string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void Promise.resolve(describe()).then(
        (d) => reject(new Error(`not done within ${ms} ms: ${d}`)),
        reject,
      );
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
