// Calls `fn` on each of `signals` until the returned function is called. `process.on`, never
// `once`: execa's exit hook (signal-exit) sends the signal again to the process when it finds no
// listener but its own, and a `once` listener is already removed when that hook runs, so a
// SIGTERM that came while a child process was running killed supha outright (no stop, no
// rollback; the agent exited by the signal in a CI run).
export function onSignals(signals: readonly NodeJS.Signals[], fn: (sig: NodeJS.Signals) => void): () => void {
  for (const s of signals) process.on(s, fn);
  return () => {
    for (const s of signals) process.off(s, fn);
  };
}
