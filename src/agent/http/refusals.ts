import type { Logger } from '../../util/log.js';

// Logs refused requests (bad target, bad token, too big, timed out, over the connection cap) at
// most `perWindow` lines per window; the rest are counted and summed up in one line when the
// window ends, so a flood cannot flood the log too.
export class RefusalLog {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  total = 0;

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 10,
    private readonly windowMs = 10_000,
  ) {}

  refuse(reason: string, details: { remote?: string | undefined; method?: string | undefined; target?: string | undefined; code?: number }): void {
    this.total++;
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow < this.perWindow) {
      this.inWindow++;
      const target = details.target === undefined ? undefined : details.target.slice(0, 200);
      this.log.warn({ ...details, target, reason }, `http: refused: ${reason}`);
      return;
    }
    this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.flush(), this.windowMs - (now - this.windowStart)).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed.size === 0) return;
    const counts = Object.fromEntries(this.suppressed);
    const n = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
    this.suppressed.clear();
    this.log.warn({ suppressed: counts }, `http: refused ${n} more requests (not logged one by one)`);
  }
}
