#!/usr/bin/env node
import { runBin } from './bin.js';
import { processIo } from './io.js';

const argv = process.argv.slice(2);
// keepalived's hot calls (check, notify) first try a path that loads almost nothing.
// runBin is the only place that sets the exit code; a bug prints its stack and exits 70.
runBin('supha', async () => (await (await import('./fast.js')).fastPath(argv, processIo)) ?? (await import('./main.js')).main(argv, processIo));
