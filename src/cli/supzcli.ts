#!/usr/bin/env node
import type { SupzIo } from '../supzcli/context.js';
import { main } from '../supzcli/main.js';
import { runBin } from './bin.js';

// supzcli, the supervisorctl operators type. Thin: everything is in src/supzcli/, imported
// statically because every run needs it (verbs other than status load lazily there). runBin is
// the only place that sets the exit code; a bug prints its stack and exits 70.
const io: SupzIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
  env: process.env,
};

runBin('supzcli', () => main(process.argv.slice(2), io));
