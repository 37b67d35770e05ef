import { existsSync, writeFileSync } from 'node:fs';

// Test-only (docs/reliability.md, "kill -9 matrix"): with SUPHA_TEST_PAUSE_AT=<step> and
// SUPHA_TEST_PAUSE_FILE=<path> in the environment, a process reaching the named step while <path>
// exists (the test arms it) writes its pid to <path>.paused and waits there forever, so a test
// can kill it at exactly that step. Without both variables (always, outside tests) it returns at
// once and does nothing.
export async function testPause(step: string): Promise<void> {
  const at = process.env.SUPHA_TEST_PAUSE_AT;
  const file = process.env.SUPHA_TEST_PAUSE_FILE;
  if (at === undefined || file === undefined || at !== step || !existsSync(file)) return;
  writeFileSync(`${file}.paused`, `${process.pid} ${step}\n`);
  // NOTE: a timer keeps a short-lived CLI alive too (a pending promise alone would not).
  await new Promise<never>(() => setInterval(() => {}, 60_000));
}
