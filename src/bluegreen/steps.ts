import { errorMessage, UserError } from '../errors.js';

// A failed switch: which step, why, and what was done about it.
export class SwitchFailed extends UserError {
  override name = 'SwitchFailed';
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly undo: string,
  ) {
    super(`switch failed at step "${step}": ${reason}; ${undo}`);
  }
}

// A step that failed; a UserError, so one line reaches the person.
export class StepError extends UserError {
  override name = 'StepError';
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(errorMessage(cause), undefined, { cause });
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

// Prints each step as it starts and ends, with times, for the person watching a switch.
export class Steps {
  readonly t0 = performance.now();
  readonly done: { step: string; ms: number }[] = [];
  // The step running, or the last one that ran.
  current = 'prepare';
  constructor(private readonly say: (line: string) => void) {}

  line(text: string): void {
    this.say(`[${secs(performance.now() - this.t0).padStart(7)}] ${text}`);
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.current = name;
    this.line(`${name} ...`);
    try {
      const value = await fn();
      const ms = performance.now() - started;
      this.done.push({ step: name, ms });
      this.line(`  ok (${secs(ms)})`);
      return value;
    } catch (err) {
      this.line(`  FAILED (${secs(performance.now() - started)}): ${errorMessage(err)}`);
      throw new StepError(name, err);
    }
  }

  elapsedMs(): number {
    return performance.now() - this.t0;
  }
}
