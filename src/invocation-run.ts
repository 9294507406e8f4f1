/**
 * One run of mcpctl from its IO to its exit code, shared by the full CLI (main.ts, commander) and
 * serve's fast path (serve-fast.ts): the run's secrets, GitHub Actions masking, and the one catch
 * that turns an error into a message and an exit code.
 */
import { ExitCode } from './lib/cli/errors.js';
import type { Stream } from './lib/cli/output.js';
import { SecretRegistry } from './lib/cli/redact.js';
import { createSignalRouter } from './lib/process/signal-forwarding.js';
import type { CliIO, Invocation } from './invocation.js';
import { reportError } from './report-error.js';

/** The invocation of `io`; `--json`/`--debug` are read from mcpctl's own arguments (before `--`). */
export function newInvocation(io: CliIO): Invocation {
  // Flags after `--` belong to a child command (serve, baseline collect), not to mcpctl.
  const ownArgs = io.argv.includes('--') ? io.argv.slice(0, io.argv.indexOf('--')) : io.argv;
  return { io, secrets: new SecretRegistry(), signals: io.signals ?? createSignalRouter(), json: ownArgs.includes('--json'), debug: ownArgs.includes('--debug') };
}

async function maskSecretsInActions(secrets: SecretRegistry, stream: Stream): Promise<() => void> {
  const { maskCommand } = await import('./lib/github-actions.js');
  return secrets.subscribe((value) => void stream.write(maskCommand(value)));
}

/** Runs `body` (the parsed command) and returns the exit code; every error is reported here. */
export async function runInvocation(inv: Invocation, body: () => Promise<unknown>): Promise<number> {
  const { io } = inv;
  // On a GitHub Actions runner, every secret mcpctl learns (a generated or stored password) is
  // masked in the job's log the moment it is known, before anything could print it. With --json
  // the command goes to stderr (the runner reads commands there too), keeping stdout one document.
  const stopMasking = io.env.GITHUB_ACTIONS === 'true' ? await maskSecretsInActions(inv.secrets, inv.json ? io.stderr : io.stdout) : undefined;
  try {
    await body();
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, inv);
  } finally {
    stopMasking?.();
  }
}
