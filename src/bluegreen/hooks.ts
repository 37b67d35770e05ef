import type { Config } from '../config/index.js';
import { nginxOf } from '../health/round.js';
import { run, splitCommand } from '../util/exec.js';

const HOOK_TIMEOUT_MS = 600_000;

// What a hook learns about the switch it runs in, as environment variables.
export interface HookEnv {
  from: string;
  to: string;
  version?: string | undefined;
}

const envOf = (e: HookEnv): Record<string, string> => ({
  SUPHA_FROM_GROUP: e.from,
  SUPHA_TO_GROUP: e.to,
  ...(e.version === undefined ? {} : { SUPHA_VERSION: e.version }),
});

// Runs a configured command line (no shell) with the switch's environment; `extra` words are
// appended (the version for upgrade-cmd).
export async function runHook(line: string, e: HookEnv, signal?: AbortSignal, extra: string[] = []): Promise<void> {
  const [file, args] = splitCommand(line);
  await run(file, [...args, ...extra], { timeoutMs: HOOK_TIMEOUT_MS, signal, env: envOf(e) });
}

// The standby's upgrade command, with VERSION as its last argument when given.
export function upgradeCommand(cfg: Config, group: string): string | undefined {
  return nginxOf(cfg).upstream['node-group'][group]?.['upgrade-cmd'];
}
