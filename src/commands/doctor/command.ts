import type { Command } from 'commander';
import { ExitCode, ExitError } from '../../lib/errors.js';
import { action, collect, intOption, summarizeReport, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';

interface Opts {
  strict?: boolean;
  timeout?: number;
  start?: boolean;
  pythonPackage?: string[];
}

export function registerDoctor(program: Command, makeEnv: EnvFactory): void {
  program
    .command('doctor')
    .description(COMMAND_DESCRIPTIONS.doctor)
    .option('--strict', 'warnings fail too')
    .option('--timeout <ms>', 'time allowed for each tool, check and connection (client entries get at least 15 s to answer)', intOption('--timeout'), 10000)
    .option('--python-package <name>', 'a Python package the server needs (repeatable; default fastmcp)', collect)
    .option('--no-start', 'do not start the MCP client entries (only check that their command exists)')
    .addHelpText(
      'after',
      [
        '',
        "One report: verify-env's checks, verify-db's checks, then each MCP client entry that starts this",
        'project — started as its client would start it (its command, a sparse environment), answering MCP',
        '`initialize`. Exit 0 when no check failed, 1 otherwise, 2 when the configuration is invalid.',
        '',
        'Examples:',
        '  $ mcpctl doctor',
        '  $ mcpctl doctor --json',
        '  $ mcpctl doctor --no-start --strict',
      ].join('\n'),
    )
    .action(
      action<Opts>(makeEnv, async (env, opts) => {
        const { ctx, out } = env;
        const [{ runDoctor }, { renderReport }, { packageVersion }] = await Promise.all([import('./run.js'), import('../../lib/output.js'), import('../../lib/version.js')]);
        const result = await runDoctor(
          {
            ctx,
            platform: process.platform,
            version: packageVersion(),
            log: out.debug,
            onProgress: (t) => {
              out.status(`doctor: ${t}…`);
              out.debug(t);
            },
          },
          { strict: opts.strict, timeoutMs: opts.timeout, startClients: opts.start, pythonPackages: opts.pythonPackage },
        );
        renderReport(out, result, 'mcpctl doctor');
        await summarizeReport(env, 'mcpctl doctor', result);
        if (result.configInvalid) throw new ExitError(ExitCode.usage);
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );
}
