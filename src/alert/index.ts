import { errorMessage } from '../errors.js';
import { run } from '../util/exec.js';
import type { Logger } from '../util/log.js';

export type AlertKind =
  | 'transition'
  | 'split-brain'
  | 'push-refused'
  | 'conf-refused'
  | 'conf-quarantined'
  | 'history-moved'
  | 'switch-failed'
  | 'switch-rolled-back'
  | 'program-fatal';

// One event for the alert command: kind, a one-line summary, and the details of that kind.
export interface AlertEvent {
  kind: AlertKind;
  summary: string;
  [detail: string]: unknown;
}

export type AlertFn = (ev: AlertEvent) => void;

export interface AlerterOptions {
  // ha.alert-command: argv, run without a shell. Undefined: alerts are only logged.
  argv: readonly string[] | undefined;
  timeoutMs: number;
  node: string;
  project: string;
  log: Logger;
  // Events waiting beyond this are dropped (oldest first), with a warning.
  maxQueue?: number;
}

// Runs ha.alert-command once per event, the event as one JSON line on its stdin. send() never
// waits: events queue and run one at a time, each bounded by the timeout, so a hung mailer or
// webhook cannot hold up the agent's loop.
export class Alerter {
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  dropped = 0;
  sent = 0;
  failed = 0;

  constructor(private readonly o: AlerterOptions) {}

  readonly send: AlertFn = (ev) => {
    const line = JSON.stringify({ at: new Date().toISOString(), node: this.o.node, project: this.o.project, ...ev });
    if (this.o.argv === undefined) return;
    this.o.log.debug({ alert: ev.kind }, `alert: ${ev.summary}`);
    this.queue.push(line);
    const max = this.o.maxQueue ?? 100;
    if (this.queue.length > max) {
      this.queue.shift();
      this.dropped++;
      this.o.log.warn({ dropped: this.dropped }, 'alert: queue full, oldest event dropped (the alert command is slow)');
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  };

  // Resolves when every queued event has been handed to the command.
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    const [file, ...args] = this.o.argv ?? [];
    if (file === undefined) return;
    for (let line = this.queue.shift(); line !== undefined; line = this.queue.shift()) {
      try {
        const r = await run(file, args, { input: `${line}\n`, timeoutMs: this.o.timeoutMs, killAfterMs: 1_000, reject: false });
        if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}${r.stderr ? `: ${r.stderr.split('\n').slice(-1)[0]}` : ''}`);
        this.sent++;
      } catch (err) {
        this.failed++;
        this.o.log.warn({ command: file, why: errorMessage(err) }, `alert: ${file} failed: ${errorMessage(err)}`);
      }
    }
  }
}
