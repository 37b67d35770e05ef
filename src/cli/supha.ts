#!/usr/bin/env node
import { processIo } from './io.js';

const argv = process.argv.slice(2);
// keepalived's hot calls (check, notify) first try a path that loads almost nothing.
const run = async () => (await (await import('./fast.js')).fastPath(argv, processIo)) ?? (await import('./main.js')).main(argv, processIo);

// The only place that sets the exit code. A bug prints its stack and exits 70 (EX_SOFTWARE).
run().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`supha: internal error (a bug, please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
