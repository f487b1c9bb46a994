/** The run's clock: simulated time starts at the real start and runs `speed` times faster. */
export class SimClock {
  readonly realStart: number;
  constructor(
    readonly speed: number,
    realStart = Date.now(),
  ) {
    this.realStart = realStart;
  }

  /** Simulated ms for a real timestamp. */
  sim(realMs: number): number {
    return this.realStart + (realMs - this.realStart) * this.speed;
  }

  /** Real ms at which the simulated clock reaches `simMs`. */
  real(simMs: number): number {
    return this.realStart + (simMs - this.realStart) / this.speed;
  }

  /** A simulated duration as real ms. */
  scale(simDurationMs: number): number {
    return simDurationMs / this.speed;
  }
}

/** Promise-based sleep that ends early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Rejects like Lambda's timeout when `p` has not settled within `seconds`. */
export async function timed<T>(p: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Task timed out after ${seconds.toFixed(2)} seconds`)), seconds * 1000)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
