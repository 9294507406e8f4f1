import type { Command } from 'commander';
import { ExitCode, ExitError } from '../lib/errors.js';
import { action, intOption, loadCommandConfig, summarizeReport, optionPath, type EnvFactory } from './shared.js';
import { COMMAND_DESCRIPTIONS } from './catalog.js';

interface Opts {
  only?: string;
  skip?: string;
  timeout?: number;
  poolSize?: number;
  requirePgvector?: boolean;
  migrations?: string;
}

export function registerVerifyDb(program: Command, makeEnv: EnvFactory): void {
  program
    .command('verify-db')
    .description(COMMAND_DESCRIPTIONS['verify-db'])
    .option('--only <names>', 'run only these checks (comma-separated)')
    .option('--skip <names>', 'leave out these checks (comma-separated)')
    .option('--timeout <ms>', 'time allowed for connecting and for each check', intOption('--timeout'), 5000)
    .option('--pool-size <n>', 'connections in the pool check; it runs 5× that many queries at once', intOption('--pool-size', 1, 1000), 10)
    .option('--require-pgvector', 'pgvector missing is a failure, not a warning')
    .option('--migrations <dir>', 'migrations folder to compare with the database (default migrations/)')
    .addHelpText(
      'after',
      '\nChecks, in order: reachable, version, auth, databases, createdb, dynamic-db, schema, pgvector, pool.\n' +
        '\nExamples:\n  $ mcpctl verify-db\n  $ mcpctl verify-db --only reachable,auth,databases\n  $ mcpctl verify-db --skip pool --require-pgvector --json',
    )
    .action(
      action<Opts>(makeEnv, async (env, opts, _args, cmd) => {
        const { ctx, out } = env;
        const { runVerifyDb, selectVerifyDbChecks } = await import('../core/verify-db.js');
        selectVerifyDbChecks(opts.only, opts.skip);
        const loaded = await loadCommandConfig(env);
        const { renderReport } = await import('../lib/output.js');
        const result = await runVerifyDb(
          {
            ctx,
            config: loaded.values,
            passwordSourceLabel: loaded.resolved.POSTGRES_PASSWORD.source?.label,
            onProgress: (t) => {
              out.status(`verify-db: ${t}…`);
              out.debug(t);
            },
          },
          {
            only: opts.only,
            skip: opts.skip,
            timeoutMs: opts.timeout,
            poolSize: opts.poolSize,
            requirePgvector: opts.requirePgvector,
            migrationsDir: optionPath(ctx, cmd, 'migrations'),
          },
        );
        renderReport(out, result, 'mcpctl verify-db');
        await summarizeReport(env, 'mcpctl verify-db', result);
        if (!result.ok) throw new ExitError(ExitCode.failed);
      }),
    );
}
