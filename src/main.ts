import { Command } from 'commander';
import { envFactory } from './command-env.js';
import { formatHelp, rewriteHelpRequest, TOP_LEVEL_EXAMPLES } from './commands/help.js';
import { registerCommands } from './commands/index.js';
import type { EnvFactory } from './commands/shared.js';
import { packageVersion } from './lib/package-version.js';
import type { CliIO } from './invocation.js';
import { newInvocation, runInvocation } from './invocation-run.js';

export type { CliIO } from './invocation.js';

/**
 * The commander program for `argv`, its commands' environments made by `makeEnv`. Only the
 * command `argv` asks for is defined in full (commands/index.ts).
 */
export async function buildProgram(io: Pick<CliIO, 'stdout' | 'stderr'>, makeEnv: EnvFactory, argv: readonly string[]): Promise<Command> {
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
  await registerCommands(program, makeEnv, argv);
  return program;
}

/** Parses `io.argv` (without node and script), runs the command, returns the exit code. */
export async function main(io: CliIO): Promise<number> {
  const inv = newInvocation(io);
  const program = await buildProgram(io, envFactory(inv), io.argv);
  return runInvocation(inv, () => program.parseAsync(rewriteHelpRequest(io.argv, program), { from: 'user' }));
}
