// tsup's debouncePromise shape, for work that must not overlap: request() asks for a run; a
// burst of requests collapses into one run `delay()` ms after the first; never two runs at once;
// requests that come in during a run make exactly one more run after it. The delay is asked for
// each time, so a caller can stretch it (backoff) without losing requests.
export class SerialRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  // Callers of requestAndWait() waiting for the next run to start, and for the run that started.
  private waiting: (() => void)[] = [];

  constructor(
    private readonly task: () => Promise<void>,
    private readonly delay: () => number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.delay()));
  }

  // request(), and resolves when a run that began after this call has ended (at once if stopped).
  requestAndWait(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.request();
    return done;
  }

  // Drops a scheduled run (not the one running) and schedules again with the current delay.
  reschedule(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.request();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  get scheduled(): boolean {
    return this.timer !== undefined || this.again;
  }

  // Resolves once no run is going (a scheduled one may follow).
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.idle();
    for (const w of this.waiting.splice(0)) w();
  }

  private fire(): void {
    this.timer = undefined;
    const served = this.waiting.splice(0);
    this.running = this.task()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        for (const w of served) w();
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }
}

// The wait before attempt n+1 after n failures in a row: min, 2·min, 4·min, … up to max.
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
}
