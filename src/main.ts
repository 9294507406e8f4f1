import { Command } from 'commander';
import { envFactory } from './command-env.js';
import { formatHelp, rewriteHelpRequest, TOP_LEVEL_EXAMPLES } from './commands/help.js';
import { registerCommands } from './commands/index.js';
import { ExitCode } from './lib/cli/errors.js';
import type { Stream } from './lib/cli/output.js';
import { SecretRegistry } from './lib/cli/redact.js';
import { createSignalRouter } from './lib/process/signal-forwarding.js';
import { packageVersion } from './lib/package-version.js';
import type { CliIO, Invocation } from './invocation.js';
import { reportError } from './report-error.js';


export type { CliIO } from './invocation.js';

async function maskSecretsInActions(secrets: SecretRegistry, stream: Stream): Promise<() => void> {
  const { maskCommand } = await import('./lib/github-actions.js');
  return secrets.subscribe((value) => void stream.write(maskCommand(value)));
}

/** Parses `io.argv` (without node and script), runs the command, returns the exit code. */
export async function main(io: CliIO): Promise<number> {
  // Flags after `--` belong to a child command (serve, baseline collect), not to mcpctl.
  const ownArgs = io.argv.includes('--') ? io.argv.slice(0, io.argv.indexOf('--')) : io.argv;
  const jsonRequested = ownArgs.includes('--json');
  const secrets = new SecretRegistry();
  const inv: Invocation = { io, secrets, signals: io.signals ?? createSignalRouter(), json: jsonRequested, debug: ownArgs.includes('--debug') };

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

  const makeEnv = envFactory(inv);

  await registerCommands(program, makeEnv, io.argv);

  // On a GitHub Actions runner, every secret mcpctl learns (a generated or stored password) is
  // masked in the job's log the moment it is known, before anything could print it. With --json
  // the command goes to stderr (the runner reads commands there too), keeping stdout one document.
  const stopMasking = io.env.GITHUB_ACTIONS === 'true' ? await maskSecretsInActions(secrets, jsonRequested ? io.stderr : io.stdout) : undefined;
  try {
    await program.parseAsync(rewriteHelpRequest(io.argv, program), { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, inv);
  } finally {
    stopMasking?.();
  }
}
