/** Exit codes of the command-line contract, the only place they are defined. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  interrupted: 130,
  /** Ended by SIGHUP (128 + 1), after the same clean-up as SIGINT. */
  hangup: 129,
  /** Ended by SIGTERM (128 + 15), after the same clean-up as SIGINT. */
  terminated: 143,
} as const;

/** The exit code for a run ended by `signal` (the shell's 128 + n convention): 130, 143 or 129. */
export function signalExitCode(signal: string | undefined): ExitCodeValue {
  return signal === 'SIGTERM' ? ExitCode.terminated : signal === 'SIGHUP' ? ExitCode.hangup : ExitCode.interrupted;
}
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Machine-readable error codes used in `--json` error documents. */
export type ErrorCode =
  | 'usage'
  | 'config'
  | 'failed'
  | 'refused'
  | 'interrupted'
  | 'auth'
  | 'connection'
  | 'internal'
  | (string & {});

/**
 * An error the user can act on: one line of message, an optional hint, an exit code.
 * Thrown anywhere below the CLI layer; the top-level catch renders it and sets the exit code.
 */
export class UserError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Extra structured detail for `--json` (never secrets). */
  readonly details: unknown;

  constructor(
    message: string,
    opts: { hint?: string; exitCode?: ExitCodeValue; code?: ErrorCode; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserError';
    this.exitCode = opts.exitCode ?? ExitCode.failed;
    this.code = opts.code ?? codeFor(this.exitCode);
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

/** Usage or configuration error found before any change (exit 2). */
export class UsageError extends UserError {
  constructor(message: string, opts: { hint?: string; code?: ErrorCode; details?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.usage, code: opts.code ?? 'usage' });
    this.name = 'UsageError';
  }
}

/** A confirmation was needed and not given; nothing changed (exit 3). */
export class RefusedError extends UserError {
  constructor(message: string, opts: { hint?: string; details?: unknown } = {}) {
    super(message, { ...opts, exitCode: ExitCode.refused, code: 'refused' });
    this.name = 'RefusedError';
  }
}

/** Interrupted by a signal after cleanup (exit 130). */
export class InterruptedError extends UserError {
  constructor(message = 'interrupted', opts: { hint?: string } = {}) {
    super(message, { ...opts, exitCode: ExitCode.interrupted, code: 'interrupted' });
    this.name = 'InterruptedError';
  }
}

/**
 * Ends the command with a given exit code after its result was already rendered
 * (for example a child's exit status in `serve`). Carries no message of its own.
 */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
    this.exitCode = exitCode;
  }
}

function codeFor(exit: ExitCodeValue): ErrorCode {
  switch (exit) {
    case ExitCode.usage:
      return 'usage';
    case ExitCode.refused:
      return 'refused';
    case ExitCode.interrupted:
      return 'interrupted';
    default:
      return 'failed';
  }
}

/**
 * True for an error no check or command foresaw — a bug: JavaScript's own TypeError,
 * ReferenceError, RangeError or SyntaxError. (A server's answer, a failed system call or a
 * dropped connection is an outcome, not a bug.) Such errors are never turned into a failed
 * check: they end the command as internal errors (exit 1, "report it", the stack with --debug).
 */
export function isInternalError(e: unknown): boolean {
  if (e instanceof UserError) return false;
  return e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e instanceof SyntaxError;
}
