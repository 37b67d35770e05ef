import type { ProcessInfo, ProcessStateName, SupervisorClient } from '../supervisor/index.js';
import type { ProcessEvent } from './protocol.js';

// supervisord's state codes (supervisor/states.py ProcessStates).
const CODES: Record<string, number> = { STOPPED: 0, STARTING: 10, RUNNING: 20, BACKOFF: 30, STOPPING: 40, EXITED: 100, FATAL: 200, UNKNOWN: 1000 };

export interface TableOptions {
  // With the listener heard from recently, a full getAllProcessInfo only this often (safety poll).
  safetyPollMs: number;
  // How long after the listener's last message (events or TICK) its events are trusted.
  listenerWindowMs: number;
}

// The agent's picture of supervisord's process table. Without `supha listen`, every read asks
// supervisord. With it, the listener's PROCESS_STATE events keep the picture current and a full
// read happens only when the picture is stale (the agent acted, an unknown process appeared, the
// listener restarted) or the safety poll is due: an idle agent decodes no process list.
export class ProcessTable {
  private infos: ProcessInfo[] | undefined;
  private index = new Map<string, ProcessInfo>();
  private at = 0;
  private stale = true;
  private heardAt = 0;
  private inflight: Promise<ProcessInfo[]> | undefined;
  // supervisord's PID at the last ping: another one means it restarted (read everything again).
  private pid = 0;
  private pingAt = 0;
  private pinging: Promise<void> | undefined;
  // Events that came while a read was in flight: applied again over its answer, in order.
  private during: ProcessEvent[] | undefined;
  error: string | undefined;
  reads = 0;

  constructor(
    private readonly client: SupervisorClient,
    private readonly o: TableOptions,
  ) {}

  get listening(): boolean {
    return this.heardAt > 0 && Date.now() - this.heardAt < this.o.listenerWindowMs;
  }

  // The next get() reads supervisord.
  invalidate(): void {
    this.stale = true;
  }

  // A message from the listener (events, or none for a TICK); `start` after it (re)started.
  heard(events: readonly ProcessEvent[], start: boolean): void {
    this.heardAt = Date.now();
    if (start) this.stale = true;
    this.during?.push(...events);
    for (const ev of events) this.applyEvent(ev);
  }

  // The processes; throws (and the table stays stale) when supervisord does not answer. Between
  // full reads, a cheap getPID (at most every 250 ms) says supervisord is still there, the same one.
  async get(): Promise<ProcessInfo[]> {
    const fresh = () => this.infos !== undefined && !this.stale && this.listening && Date.now() - this.at < this.o.safetyPollMs;
    if (fresh()) await this.ping();
    if (fresh() && this.infos) return this.infos;
    return this.read();
  }

  private async ping(): Promise<void> {
    if (Date.now() - this.pingAt < 250 && this.error === undefined) return;
    this.pinging ??= (async () => {
      try {
        const pid = await this.client.getPID();
        this.pingAt = Date.now();
        if (this.pid !== 0 && pid !== this.pid) this.stale = true;
        this.pid = pid;
      } catch (err) {
        this.stale = true;
        this.error = (err as Error).message;
        throw err;
      } finally {
        this.pinging = undefined;
      }
    })();
    await this.pinging;
  }

  // What is known now without asking (possibly stale), or undefined after a failed read.
  peek(): ProcessInfo[] | undefined {
    return this.error === undefined ? this.infos : undefined;
  }

  read(): Promise<ProcessInfo[]> {
    this.inflight ??= (async () => {
      this.during = [];
      this.stale = false;
      try {
        const infos = await this.client.getAllProcessInfo();
        this.reads++;
        this.infos = infos;
        this.index = new Map(infos.map((p) => [`${p.group}:${p.name}`, p]));
        this.at = Date.now();
        this.error = undefined;
        for (const ev of this.during) this.applyEvent(ev);
        return infos;
      } catch (err) {
        this.stale = true;
        this.error = (err as Error).message;
        throw err;
      } finally {
        this.during = undefined;
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  // What the loop just did ("group:name" specs), until supervisord's events or a read say more.
  // An event that came first (RUNNING before the start call returned, say) is not overwritten.
  assume(specs: readonly string[], state: 'STARTING' | 'STOPPED'): void {
    const past = state === 'STARTING' ? ['STARTING', 'RUNNING', 'BACKOFF', 'EXITED', 'FATAL'] : ['STOPPED', 'EXITED', 'FATAL'];
    for (const s of specs) {
      const p = this.index.get(s);
      if (p && !past.includes(p.statename)) this.set(p, state);
    }
  }

  private applyEvent(ev: ProcessEvent): void {
    const p = this.index.get(`${ev.group}:${ev.name}`);
    if (!p || !(ev.state in CODES)) {
      this.stale = true;
      return;
    }
    this.set(p, ev.state as ProcessStateName);
  }

  private set(p: ProcessInfo | undefined, state: ProcessStateName): void {
    if (!p) return;
    p.statename = state;
    p.state = CODES[state] ?? p.state;
  }
}
