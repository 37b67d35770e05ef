import type { Logger } from '../util/log.js';

// Events for a keepalived instance no service set follows (a name that differs between
// keepalived.conf and ha.service-sets, or an instance that is not supha's): what status lists.
export interface StrayInstance {
  instance: string;
  events: number;
  lastState: string;
  source: string;
  firstAt: string;
  lastAt: string;
}

// At most this many names are kept and warned about one by one; events for further names are only
// counted, with one warning per interval for all of them (whoever can write the FIFO or the control
// socket is root, but a script gone wrong must not grow the map or the log without end).
const KEPT = 32;

// Counts such events and warns once per instance per `intervalMs`, not once per event: keepalived
// repeats an instance's state on every reload and a misnamed set would flood the log.
export class StrayInstances {
  private readonly byName = new Map<string, StrayInstance & { warnedAt: number }>();
  // Events for names past KEPT.
  unlisted = 0;
  private unlistedWarnedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10 * 60_000,
  ) {}

  heard(instance: string, state: string, source: string, now = Date.now()): void {
    const at = new Date(now).toISOString();
    let s = this.byName.get(instance);
    if (!s && this.byName.size >= KEPT) {
      this.unlisted++;
      if (now - this.unlistedWarnedAt < this.intervalMs) return;
      this.unlistedWarnedAt = now;
      this.log.warn(
        { instance, state, source, unlisted: this.unlisted },
        `events for more than ${KEPT} keepalived instances no set follows (${this.unlisted} not listed in status, the newest "${instance}"): ignored`,
      );
      return;
    }
    if (!s) {
      s = { instance, events: 0, lastState: state, source, firstAt: at, lastAt: at, warnedAt: Number.NEGATIVE_INFINITY };
      this.byName.set(instance, s);
    }
    s.events++;
    s.lastState = state;
    s.source = source;
    s.lastAt = at;
    if (now - s.warnedAt < this.intervalMs) return;
    s.warnedAt = now;
    this.log.warn(
      { instance, state, source, events: s.events },
      `event ${state} for keepalived instance "${instance}" (${source}): no set follows it, ignored; name it in ha.service-sets.<set>.vrrp-instance, or ignore this if it is not supha's (said once per ${Math.round(this.intervalMs / 60_000)} min)`,
    );
  }

  list(): StrayInstance[] {
    return [...this.byName.values()].map(({ warnedAt: _, ...s }) => s);
  }
}
