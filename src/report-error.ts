/** The one place an error becomes an exit code and a message (human, and the --json document). */
import type { CommanderError } from 'commander';
import { ExitCode, ExitError, UserError, signalExitCode } from './lib/cli/errors.js';
import type { Invocation } from './invocation.js';
import { jsonSafe, terminalSafe } from './lib/cli/printable.js';

/**
 * commander's own errors (InvalidArgumentError is one), known by their `commander.` codes rather
 * than by instanceof: serve's fast path reports its errors here without loading commander.
 */
function isCommanderError(err: unknown): err is CommanderError {
  return err instanceof Error && typeof (err as CommanderError).code === 'string' && (err as CommanderError).code.startsWith('commander.');
}

export function reportError(err: unknown, inv: Invocation): number {
  const { io, secrets } = inv;
  if (err instanceof ExitError) return err.exitCode;
  if (isCommanderError(err)) {
    const code = err.code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return ExitCode.ok;
    // Help shown because no command was given is a usage error; `mcpctl help` is not.
    if (code === 'commander.help') return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (inv.json) {
      const doc = { ok: false, error: { code: 'usage', message: err.message.replace(/^error: /, ''), hint: 'run `mcpctl --help`' } };
      io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    }
    return ExitCode.usage;
  }
  const redact = (t: string) => secrets.redact(t);
  const safe = (t: string) => terminalSafe(redact(t), false);
  const user = err instanceof UserError ? err : undefined;
  const aborted = io.signal.aborted && !user;
  // An interruption ends with the signal's own code (SIGINT 130, SIGTERM 143, SIGHUP 129) after the command cleaned up.
  const bySignal = io.signal.aborted ? signalExitCode((io.signal.reason as Error | undefined)?.message) : undefined;
  const exitCode = user?.code === 'interrupted' && bySignal ? bySignal : (user?.exitCode ?? (aborted ? bySignal! : ExitCode.failed));
  const message = user?.message ?? (aborted ? 'interrupted' : `internal error: ${(err as Error)?.message ?? String(err)}`);
  // "report it" is for bugs only: an error we did not foresee (not a UserError, not a signal).
  const hint = user ? user.hint : aborted ? undefined : 'this is a bug in mcpctl: run again with --debug for the stack trace, and report it';
  const code = user?.code ?? (aborted ? 'interrupted' : 'internal');
  if (inv.json) {
    const doc = { ok: false, error: { code, message, hint, ...(user?.details ? { details: user.details } : {}) } };
    io.stdout.write(jsonSafe(redact(JSON.stringify(doc, null, 2))) + '\n');
  }
  if (inv.out) inv.out.error(message, hint);
  else {
    io.stderr.write(safe(`error: ${message}`) + '\n');
    if (hint) io.stderr.write(safe(`hint: ${hint}`) + '\n');
  }
  if (inv.debug) {
    // What the server itself said (redacted), and how the connection was made.
    const pgErr = err as { serverMessage?: string; sqlState?: string; note?: string };
    if (typeof pgErr.serverMessage === 'string') {
      io.stderr.write(safe(`debug: server said: ${pgErr.serverMessage}${pgErr.sqlState ? ` (SQLSTATE ${pgErr.sqlState})` : ''}`) + '\n');
      if (pgErr.note) io.stderr.write(safe(`debug: ${pgErr.note}`) + '\n');
    }
    if (err instanceof Error && err.stack) io.stderr.write(safe(err.stack) + '\n');
  }
  return exitCode;
}
