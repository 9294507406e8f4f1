// serve's fast path (bin/mcpctl.js requires its bundle, dist/bundle/serve.cjs, for a command line
// naming serve): a plain `mcpctl serve …` starts without commander and without the ES module
// loader, which is most of what serve adds before the server's first byte (docs/serve.md,
// Start-up). The command line is read by fast-argv.ts; anything it does not accept goes to the
// full CLI, so help and usage errors are commander's. Once parsed, the run is the same code as the
// commander adapter's: makeCommandEnv, serveAction, runInvocation.
import { makeCommandEnv } from './command-env.js';
import { serveAction } from './commands/serve/action.js';
import { parseServeArgv, type FastServe } from './commands/serve/fast-argv.js';
import type { CliIO } from './invocation.js';
import { newInvocation, runInvocation } from './invocation-run.js';
import { guardStreams, runWithProcess } from './process-io.js';

/** Runs serve for `parsed` with `io`; returns the exit code. */
export function serveFast(io: CliIO, parsed: FastServe): Promise<number> {
  const inv = newInvocation(io);
  return runInvocation(inv, async () => {
    const env = await makeCommandEnv(inv, parsed.globals, 'serve');
    await serveAction(env, parsed.opts, parsed.args, parsed.healthHostGiven);
  });
}

/** Starts serve when `argv` is a command line the fast path reads; false leaves it to the full CLI. */
export function startServe(argv: string[]): boolean {
  const parsed = parseServeArgv(argv);
  if (!parsed) return false;
  guardStreams();
  runWithProcess(argv, (io) => serveFast(io, parsed)).catch((err: unknown) => {
    // Only a bug can get here (runInvocation reports every error of the command itself).
    process.stderr.write(`mcpctl: internal error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
  return true;
}
