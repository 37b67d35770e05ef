// The one top-level handler of both bins (supha, supzcli): sets the exit code from main's result;
// a bug (anything main throws) prints its stack and exits 70 (EX_SOFTWARE).
export function runBin(name: string, main: () => Promise<number>): void {
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
