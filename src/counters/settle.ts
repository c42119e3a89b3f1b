/**
 * Waits for every promise (so that none is left unawaited), then throws `failure` when one was
 * caught before, else the first rejection; a thrown non-Error is wrapped as "<what> failed".
 */
export async function settleAll(promises: readonly Promise<unknown>[], what: string, failure: unknown = null): Promise<void> {
  const rejected = (await Promise.allSettled(promises)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const error: unknown = failure ?? rejected?.reason ?? null;
  if (error !== null) throw error instanceof Error ? error : new Error(`${what} failed`, { cause: error });
}
