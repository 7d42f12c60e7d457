/**
 * Work a process has started and must finish before it stops: decisions after their ack,
 * cycles started by a schedule or `/recon run`. `drain` waits for them, up to a deadline.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  get size(): number {
    return this.running.size;
  }

  /** Whether `drain` has been called: no new work should start. */
  get draining(): boolean {
    return this.closed;
  }

  /** Runs `work`, remembering it until it settles. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    const tracked = promise.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return promise;
  }

  /** Waits for everything running to settle; returns how many were still running at the deadline. */
  async drain(timeoutMs: number): Promise<number> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      while (this.running.size > 0) {
        const outcome = await Promise.race([Promise.all([...this.running]), deadline]);
        if (outcome === 'timeout') return this.running.size;
      }
      return 0;
    } finally {
      clearTimeout(timer);
    }
  }
}
