import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { statSync } from 'node:fs';
import path from 'node:path';
import { formatHelp, rewriteHelpRequest, TOP_LEVEL_EXAMPLES } from './commands/help.js';
import { registerCommands } from './commands/index.js';
import type { CommandEnv } from './commands/shared.js';
import { isCi, type Context, type GlobalOptions } from './lib/context.js';
import { ExitCode, ExitError, UsageError, UserError, signalExitCode } from './lib/errors.js';
import type { Stream } from './lib/output.js';
import type { ProjectRoot } from './lib/project-root.js';
import { packageVersion } from './lib/version.js';


/** Commands that do not read a project's configuration: no "no project found" warning. */
const PROJECT_FREE = new Set(['baseline', 'rollback', 'init']);

/** The top-level command's name (`baseline` for `baseline collect`). */
function topCommand(cmd: Command): string {
  let c = cmd;
  while (c.parent && c.parent.parent) c = c.parent;
  return c.name();
}

/** Everything the CLI takes from the outside world; `cli.ts` fills it from `process`. */
export interface CliIO {
  argv: string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  stdout: Stream;
  stderr: Stream;
  stdinIsTTY: boolean;
  signal: AbortSignal;
  now?: () => Date;
}

async function maskSecretsInActions(stream: Stream): Promise<() => void> {
  const [{ onSecretRegistered }, { maskCommand }] = await Promise.all([import('./lib/redact.js'), import('./lib/github-actions.js')]);
  return onSecretRegistered((value) => void stream.write(maskCommand(value)));
}

/** Parses `io.argv` (without node and script), runs the command, returns the exit code. */
export async function main(io: CliIO): Promise<number> {
  // Flags after `--` belong to a child command (serve, baseline collect), not to mcpctl.
  const ownArgs = io.argv.includes('--') ? io.argv.slice(0, io.argv.indexOf('--')) : io.argv;
  const jsonRequested = ownArgs.includes('--json');
  const debugRequested = ownArgs.includes('--debug');
  let outputForErrors: CommandEnv['out'] | undefined;

  const program = new Command();
  program
    .name('mcpctl')
    .description('Environment and database lifecycle for MCP server projects.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-C, --cwd <dir>', 'project directory (.env, .env.local, backups/ and migrations/ resolve against it)')
    .option('--json', 'print exactly one JSON document on stdout; human text goes to stderr')
    .option('--no-color', 'no ANSI colour (also NO_COLOR, or when not a TTY; FORCE_COLOR forces)')
    .option('-y, --yes', 'answer yes/no questions with yes (never a typed confirmation)')
    .option('--debug', 'stack traces, and each external command run (secrets redacted)')
    .configureHelp({ formatHelp })
    .addHelpText('after', TOP_LEVEL_EXAMPLES)
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      // In --json mode stdout carries one document; commander's text goes to stderr only.
      writeErr: (s) => void io.stderr.write(s),
    });

  const makeEnv = async (cmd: Command): Promise<CommandEnv> => {
    const g = cmd.optsWithGlobals() as { cwd?: string; json?: boolean; color?: boolean; yes?: boolean; debug?: boolean };
    const start = path.resolve(io.cwd, g.cwd ?? '.');
    let st;
    try {
      st = statSync(start);
    } catch {
      throw new UsageError(`project directory ${start} does not exist`, { hint: 'check the -C/--cwd value' });
    }
    if (!st.isDirectory()) throw new UsageError(`${start} is not a directory`, { hint: 'check the -C/--cwd value' });
    const [{ createOutput }, { findProjectRoot, describeProjectRoot }] = await Promise.all([import('./lib/output.js'), import('./lib/project-root.js')]);
    // -C names the project; otherwise the nearest folder upwards that looks like one. `init`
    // makes a new project where it is run, so it never walks up.
    const top = topCommand(cmd);
    const projectRoot: ProjectRoot = g.cwd !== undefined || top === 'init' ? { dir: start, via: { kind: 'flag' } } : findProjectRoot(start);
    const cwd = projectRoot.dir;
    const ctx: Context = {
      cwd,
      invocationDir: start,
      projectRoot,
      env: io.env,
      home: io.home,
      now: io.now ?? (() => new Date()),
      stdinIsTTY: io.stdinIsTTY,
      stdoutIsTTY: io.stdout.isTTY === true,
      stderrIsTTY: io.stderr.isTTY === true,
      ci: isCi(io.env),
      signal: io.signal,
    };
    const globals: GlobalOptions = { cwd, json: g.json === true, color: g.color !== false, yes: g.yes === true, debug: g.debug === true };
    const out = createOutput({ json: globals.json, noColorFlag: !globals.color, debug: globals.debug, env: io.env, stdout: io.stdout, stderr: io.stderr, ci: ctx.ci });
    outputForErrors = out;
    if (projectRoot.via.kind === 'none' && !PROJECT_FREE.has(top)) {
      out.warn(
        `no project found in ${start} or above it (up to ${projectRoot.via.searchedUpTo}, no .env, .env.local, .env.template, .env.example or migrations/): using ${start} and the built-in defaults`,
      );
    }
    out.debug(`project folder: ${describeProjectRoot(projectRoot)}`);
    return { ctx, out, globals };
  };

  await registerCommands(program, makeEnv, io.argv);

  // On a GitHub Actions runner, every secret mcpctl learns (a generated or stored password) is
  // masked in the job's log the moment it is known, before anything could print it. With --json
  // the command goes to stderr (the runner reads commands there too), keeping stdout one document.
  const stopMasking = io.env.GITHUB_ACTIONS === 'true' ? await maskSecretsInActions(jsonRequested ? io.stderr : io.stdout) : undefined;
  try {
    await program.parseAsync(rewriteHelpRequest(io.argv, program), { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  } finally {
    stopMasking?.();
  }

  async function reportError(err: unknown): Promise<number> {
    if (err instanceof ExitError) return err.exitCode;
    if (err instanceof CommanderError || err instanceof InvalidArgumentError) {
      const code = (err as CommanderError).code;
      if (code === 'commander.helpDisplayed' || code === 'commander.version') return ExitCode.ok;
      // Help shown because no command was given is a usage error; `mcpctl help` is not.
      if (code === 'commander.help') return (err as CommanderError).exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      if (jsonRequested) {
        const doc = { ok: false, error: { code: 'usage', message: err.message.replace(/^error: /, ''), hint: 'run `mcpctl --help`' } };
        io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      }
      return ExitCode.usage;
    }
    const { redact } = await import('./lib/redact.js');
    const user = err instanceof UserError ? err : undefined;
    const aborted = io.signal.aborted && !user;
    // An interruption ends with the signal's own code (SIGINT 130, SIGTERM 143, SIGHUP 129) after the command cleaned up.
    const bySignal = io.signal.aborted ? signalExitCode((io.signal.reason as Error | undefined)?.message) : undefined;
    const exitCode = user?.code === 'interrupted' && bySignal ? bySignal : (user?.exitCode ?? (aborted ? bySignal! : ExitCode.failed));
    const message = user?.message ?? (aborted ? 'interrupted' : `internal error: ${(err as Error)?.message ?? String(err)}`);
    // "report it" is for bugs only: an error we did not foresee (not a UserError, not a signal).
    const hint = user ? user.hint : aborted ? undefined : 'this is a bug in mcpctl: run again with --debug for the stack trace, and report it';
    const code = user?.code ?? (aborted ? 'interrupted' : 'internal');
    if (jsonRequested) {
      const doc = { ok: false, error: { code, message, hint, ...(user?.details ? { details: user.details } : {}) } };
      io.stdout.write(redact(JSON.stringify(doc, null, 2)) + '\n');
    }
    if (outputForErrors) outputForErrors.error(message, hint);
    else {
      io.stderr.write(redact(`error: ${message}\n`));
      if (hint) io.stderr.write(redact(`hint: ${hint}\n`));
    }
    if (debugRequested) {
      // What the server itself said (redacted), and how the connection was made.
      const pgErr = err as { serverMessage?: string; sqlState?: string; note?: string };
      if (typeof pgErr.serverMessage === 'string') {
        io.stderr.write(redact(`debug: server said: ${pgErr.serverMessage}${pgErr.sqlState ? ` (SQLSTATE ${pgErr.sqlState})` : ''}\n`));
        if (pgErr.note) io.stderr.write(redact(`debug: ${pgErr.note}\n`));
      }
      if (err instanceof Error && err.stack) io.stderr.write(redact(err.stack) + '\n');
    }
    return exitCode;
  }
}
