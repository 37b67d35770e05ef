#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

// The only place that sets the exit code. A bug prints its stack and exits 70 (EX_SOFTWARE).
main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`supha: internal error (a bug, please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
