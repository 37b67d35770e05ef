// Ctrl-C or SIGTERM during a benchmark still stops what it started (namespaces, supervisords,
// keepalived, agents): `teardown` runs once, then the process exits 130.
export function onSignal(teardown: () => Promise<void>): void {
  let once = false;
  const stop = () => {
    if (once) return;
    once = true;
    teardown()
      .catch((err: unknown) => console.error(err))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
