/** Closes a client without waiting for in-flight requests, ignoring errors (used on the way out of a failure). */
export async function forceClose(client: { close(force?: boolean): Promise<void> }): Promise<void> {
  await client.close(true).catch(() => undefined);
}
