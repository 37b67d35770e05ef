// Exit codes are a contract: keepalived's vrrp_script and operators' scripts read them.
// See README.md "Exit codes".
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  NOT_RUNNING: 3,
  // supha notify/hold/release: no agent answers on the control socket.
  NO_AGENT: 4,
  // supzcli status (another bin, same number): a named program is unknown, or supervisord cannot be asked (as supervisorctl).
  UNKNOWN: 4,
  // supzcli (supervisorctl's LSB "not running"): a program did not start (spawn error, abnormal
  // termination) or is not running (signal, pid), or supervisord's socket file is missing.
  DEAD: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

// Something the user can fix: printed as one line, no stack.
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// Bad command line or bad config: exit 2.
export class UsageError extends UserError {
  override name = 'UsageError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, EXIT.USAGE, options);
  }
}

// Ends a command with an exit code after it has printed what it had to say.
export class ExitError extends Error {
  override name = 'ExitError';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
};

// A file-system error on a named path is the operator's to fix (permissions, a full disk):
// one line naming the path, exit 1, not a stack.
export function fsUserError(err: unknown): UserError | undefined {
  const e = err as NodeJS.ErrnoException;
  const reason = e?.code === undefined ? undefined : FS_REASONS[e.code];
  if (reason === undefined || typeof e.path !== 'string') return undefined;
  return new UserError(`${e.path}: ${reason}`, EXIT.FAILED, { cause: err });
}
