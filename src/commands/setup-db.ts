import type { Command } from 'commander';
import { action, type CommandEnv, type EnvFactory } from './shared.js';
import { COMMAND_DESCRIPTIONS } from './catalog.js';

interface Opts {
  migrations?: string;
  withPgvector?: boolean;
  rotatePassword?: boolean;
  reset?: boolean;
  confirm?: string;
  dryRun?: boolean;
}

export function registerSetupDb(program: Command, makeEnv: EnvFactory): void {
  program
    .command('setup-db')
    .description(COMMAND_DESCRIPTIONS['setup-db'])
    .option('--migrations <dir>', 'folder of *.sql migrations applied in name order (default: <project>/migrations)')
    .option('--with-pgvector', 'CREATE EXTENSION vector in both databases (exit 1 with install hints when not installed)')
    .option('--rotate-password', 'generate a new app password and update the role and every file')
    .option('--reset', 'DROP and recreate both databases (all data lost); needs the database name typed, or --confirm')
    .option('--confirm <name>', 'answer the --reset confirmation non-interactively (must equal POSTGRES_DB)')
    .option('--dry-run', 'print the plan (SQL with the password redacted, files to change) and change nothing')
    .addHelpText(
      'after',
      `
The admin connection uses SETUP_POSTGRES_USER (default postgres) with SETUP_POSTGRES_PASSWORD from the
environment, else its password-file entry, else a hidden prompt on a terminal, else no password. Admin
credentials are never written anywhere. The app password is stored in the password file (PGPASSFILE or
~/.pgpass) and .env.local, both mode 0600; it is sent to the server only as a SCRAM-SHA-256 verifier.

Examples:
  $ mcpctl setup-db
  $ SETUP_POSTGRES_PASSWORD=… mcpctl setup-db --with-pgvector
  $ mcpctl setup-db --dry-run
  $ mcpctl setup-db --rotate-password
  $ mcpctl setup-db --reset --confirm project_registry`,
    )
    .action(
      action<Opts>(makeEnv, async (env, opts) => {
        const { ctx, out, globals } = env;
        if (opts.confirm !== undefined && !opts.reset) {
          const { UsageError } = await import('../lib/errors.js');
          throw new UsageError('--confirm answers the --reset confirmation and goes only with --reset', { hint: `mcpctl setup-db --reset --confirm ${opts.confirm}` });
        }
        const { runSetupDb } = await import('../core/setup-db.js');
        const { confirmTyped, promptSecret } = await import('../lib/prompts.js');
        const pdeps = { ctx, yes: globals.yes };
        const result = await runSetupDb(
          {
            ctx,
            log: out.debug,
            onProgress: (t) => out.status(t),
            onWarning: (t) => out.warn(t),
            promptSecret: (m) => promptSecret(pdeps, m),
            confirmTyped: (m, expected, given) => confirmTyped(pdeps, m, expected, { flag: '--confirm', given }),
          },
          {
            migrationsDir: opts.migrations,
            withPgvector: opts.withPgvector,
            rotatePassword: opts.rotatePassword,
            reset: opts.reset,
            confirm: opts.confirm,
            dryRun: opts.dryRun,
          },
        );
        for (const w of result.warnings) out.warn(w);
        if (out.json) out.result(result);
        else render(env, result);
      }),
    );
}

type Result = Awaited<ReturnType<typeof import('../core/setup-db.js').runSetupDb>>;

function render({ out, ctx }: CommandEnv, r: Result): void {
  const rel = (p: string) => (p.startsWith(ctx.cwd + '/') ? p.slice(ctx.cwd.length + 1) : p);
  const where = `${r.server.admin}@${r.server.host}:${r.server.port} (PostgreSQL ${r.server.version})`;
  if (r.dryRun) {
    out.info(out.paint('strong', `mcpctl setup-db --dry-run — plan for ${where}; nothing is changed`));
    out.info(out.paint('strong', 'SQL'));
    if (!r.steps.length) out.info('  (none: the server is already in place)');
    for (const s of r.steps) {
      const inDb = s.database && s.kind !== 'create-database' && s.kind !== 'alter-owner' ? out.paint('muted', `  -- in ${s.database}`) : '';
      for (const sql of s.sql) out.info(`  ${sql}${sql.startsWith('--') ? '' : ';'}${inDb}`);
    }
    out.info(out.paint('strong', 'Files'));
    for (const f of r.files) out.info(`  ${f.action.padEnd(9)} ${rel(f.path)}  ${out.paint('muted', f.detail)}`);
    out.info(`Password: ${passwordLine(r.role.password, true)}`);
    return;
  }
  out.info(out.paint('strong', `mcpctl setup-db — ${where}`));
  const mark = (changed: boolean) => (changed ? out.paint('success', '[+]') : out.paint('muted', '[=]'));
  const roleWord = { created: 'created (LOGIN CREATEDB)', updated: 'updated to LOGIN CREATEDB', 'in-place': 'already in place' }[r.role.state];
  out.info(`${mark(r.role.state !== 'in-place')} role ${r.role.name}: ${roleWord}`);
  out.info(`${mark(r.role.password !== 'kept')} password: ${passwordLine(r.role.password, false)}; stored in ${r.passwordStoredIn.map(rel).join(' and ')}`);
  for (const d of r.databases) {
    const word = { created: `created, owned by ${r.role.name}`, recreated: 'dropped and recreated (--reset)', 'owner-changed': `owner changed to ${r.role.name}`, 'in-place': 'already in place' }[d.state];
    out.info(`${mark(d.state !== 'in-place')} database ${d.name}: ${word}`);
  }
  for (const e of r.extensions) out.info(`${mark(e.state === 'created')} extension ${e.name} in ${e.database}: ${e.state === 'created' ? 'created' : 'already in place'}`);
  for (const m of r.migrations) {
    out.info(`${mark(m.applied.length > 0)} migrations in ${m.database}: ${m.applied.length ? `applied ${m.applied.join(', ')}` : 'up to date'}`);
  }
  for (const f of r.files) {
    const word = f.action === 'unchanged' ? 'unchanged' : f.action === 'create' ? 'created' : 'updated';
    out.info(`${mark(f.action !== 'unchanged')} ${rel(f.path)}: ${word}${f.kind === 'gitignore' && f.action !== 'unchanged' ? ` (${f.detail})` : ''}`);
  }
  out.info(r.changed ? out.paint('success', '✓ done') : out.paint('success', '✓ nothing changed: everything was already in place'));
}

function passwordLine(a: Result['role']['password'], plan: boolean): string {
  const words = {
    generated: plan ? 'a new one would be generated (40 characters, CSPRNG)' : 'generated (40 characters, CSPRNG)',
    rotated: plan ? 'would be rotated (--rotate-password)' : 'rotated (--rotate-password); the old one no longer works',
    kept: plan ? 'the stored one logs in and is kept' : 'the stored one still logs in; kept',
    'from-environment': plan ? 'would be set to POSTGRES_PASSWORD from the environment' : 'set to POSTGRES_PASSWORD from the environment',
  } as const;
  return words[a];
}
