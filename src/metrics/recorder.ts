import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type TransitionOutcome = 'ok' | 'held' | 'failed';
export type SwitchOutcome = 'ok' | 'rolled-back' | 'failed';

// The events the agent's parts report as they happen (the gauges are read from the status view
// at scrape time, src/agent/metrics.ts). One per agent, its own prom-client registry.
export interface MetricsRecorder {
  transition(set: string, from: string, to: string, outcome: TransitionOutcome, ms: number): void;
  reconcilePass(ms: number, ok: boolean): void;
  keepalivedEvent(source: string): void;
  push(set: string, peer: string, ok: boolean): void;
  switched(outcome: SwitchOutcome, ms: number): void;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics implements MetricsRecorder {
  readonly registry = new Registry();
  private readonly transitions: Counter<'set' | 'from' | 'to' | 'outcome'>;
  private readonly transitionSeconds: Histogram<'set' | 'outcome'>;
  private readonly passes: Counter;
  private readonly passErrors: Counter;
  private readonly passSeconds: Histogram;
  private readonly events: Counter<'source'>;
  private readonly pushes: Counter<'set' | 'peer' | 'outcome'>;
  private readonly switches: Counter<'outcome'>;
  private readonly switchSeconds: Histogram<'outcome'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'supha_' });
    this.transitions = new Counter({
      name: 'supha_transitions_total',
      help: 'Role transitions of service sets acted on (or held), by outcome.',
      labelNames: ['set', 'from', 'to', 'outcome'],
      registers,
    });
    this.transitionSeconds = new Histogram({
      name: 'supha_transition_duration_seconds',
      help: 'Time from a transition starting to supervisord matching it.',
      labelNames: ['set', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.passes = new Counter({ name: 'supha_reconcile_passes_total', help: 'Reconcile passes run.', registers });
    this.passErrors = new Counter({ name: 'supha_reconcile_errors_total', help: 'Reconcile passes that failed.', registers });
    this.passSeconds = new Histogram({ name: 'supha_reconcile_duration_seconds', help: 'Duration of reconcile passes.', buckets: SECONDS, registers });
    this.events = new Counter({ name: 'supha_keepalived_events_total', help: 'keepalived events received, by source.', labelNames: ['source'], registers });
    this.pushes = new Counter({
      name: 'supha_replication_pushes_total',
      help: 'Registry pushes to a peer, by outcome.',
      labelNames: ['set', 'peer', 'outcome'],
      registers,
    });
    this.switches = new Counter({ name: 'supha_switches_total', help: 'Blue/green switches, by outcome.', labelNames: ['outcome'], registers });
    this.switchSeconds = new Histogram({
      name: 'supha_switch_duration_seconds',
      help: 'Duration of blue/green switches.',
      labelNames: ['outcome'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    });
  }

  transition(set: string, from: string, to: string, outcome: TransitionOutcome, ms: number): void {
    this.transitions.inc({ set, from, to, outcome });
    this.transitionSeconds.observe({ set, outcome }, ms / 1000);
  }

  reconcilePass(ms: number, ok: boolean): void {
    this.passes.inc();
    if (!ok) this.passErrors.inc();
    this.passSeconds.observe(ms / 1000);
  }

  keepalivedEvent(source: string): void {
    this.events.inc({ source });
  }

  push(set: string, peer: string, ok: boolean): void {
    this.pushes.inc({ set, peer, outcome: ok ? 'ok' : 'failed' });
  }

  switched(outcome: SwitchOutcome, ms: number): void {
    this.switches.inc({ outcome });
    this.switchSeconds.observe({ outcome }, ms / 1000);
  }
}
