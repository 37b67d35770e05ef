// The one top-level handler of both bins (supha, supzcli): sets the exit code from main's result;
// a bug (anything main throws) prints its stack and exits 70 (EX_SOFTWARE).
export function runBin(name: string, main: () => Promise<number>): void {
  // A reader that went away (`supha status | head`) is not a bug: stop quietly, as cat does.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: internal error (a bug, please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
