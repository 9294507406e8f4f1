import { InvalidArgumentError, Option, type Command } from 'commander';
import { ExitError, UsageError } from '../lib/errors.js';
import { action, intOption, loadCommandConfig, type EnvFactory } from './shared.js';
import { COMMAND_DESCRIPTIONS } from './catalog.js';

interface Opts {
  healthPort?: number;
  healthHost?: string;
  wait: number;
  grace: number;
  restart?: 'no' | 'on-failure';
  restartDelayMs?: number;
}

function restartMode(value: string): 'no' | 'on-failure' {
  if (value === 'on-failure' || value === 'no') return value;
  throw new InvalidArgumentError(`--restart takes "on-failure" or "no", not ${JSON.stringify(value)}`);
}

const SHORT_REASON: Record<string, string> = {
  refused: 'connection refused',
  auth: 'login refused',
  'no-database': 'no such database',
  timeout: 'timed out',
  tls: 'TLS problem',
  'no-host': 'unknown host',
};

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

export function registerServe(program: Command, makeEnv: EnvFactory): void {
  program
    .command('serve')
    .description(COMMAND_DESCRIPTIONS['serve'])
    .argument('[command...]', 'the command to run, after `--` (default: MCP_SERVER_COMMAND)')
    .option('--wait <seconds>', 'how long to wait for PostgreSQL to accept the login', intOption('--wait', 0, 86_400), 30)
    .option('--grace <seconds>', 'time between a forwarded SIGINT/SIGTERM and SIGKILL', intOption('--grace', 0, 3600), 10)
    .option('--restart <policy>', 'on-failure: restart a crashed server (1 s doubling to 30 s; gives up after 5 crashes in 60 s)', restartMode)
    .option('--health-port <n>', 'answer GET /health on this port (0: any free port)', intOption('--health-port', 0, 65535))
    .option('--health-host <addr>', 'address the health endpoint binds to', '127.0.0.1')
    // Tests shrink the backoff with this; the contract's timings are the default.
    .addOption(new Option('--restart-delay-ms <ms>').argParser(intOption('--restart-delay-ms', 1, 60_000)).hideHelp())
    .addHelpText(
      'after',
      [
        '',
        'The server inherits stdin, stdout and stderr untouched (a stdio MCP server speaks JSON-RPC there);',
        "mcpctl's own messages go to stderr. The command runs without a shell, in its own process group.",
        '',
        'Examples:',
        '  $ mcpctl serve',
        '  $ mcpctl serve --health-port 8080 --restart on-failure',
        '  $ mcpctl serve --wait 60 -- python -m workflow_mcp.server --transport stdio',
      ].join('\n'),
    )
    .action(
      action<Opts>(makeEnv, async (env, opts, args, cmd) => {
        const { ctx, out } = env;
        if (cmd.getOptionValueSource('healthHost') === 'cli' && opts.healthPort === undefined) {
          throw new UsageError('--health-host needs --health-port', { hint: 'e.g. `mcpctl serve --health-port 8080 --health-host 0.0.0.0`' });
        }
        // Loading the core alongside the configuration saves a little of the start-up.
        const [loaded, { runServe, FORWARDED_SIGNALS }, { takeOverSignals }, { describeExit }] = await Promise.all([
          loadCommandConfig(env),
          import('../core/serve.js'),
          import('../lib/signal-forwarding.js'),
          import('../lib/supervisor.js'),
        ]);
        const restartPolicy = opts.restartDelayMs === undefined ? undefined : (await import('../lib/restart-policy.js')).scaledPolicy(opts.restartDelayMs);
        const say = (text: string) => out.note(`${out.paint('muted', 'mcpctl:')} ${text}`);
        let lastWaitMessage: string | undefined;

        const result = await runServe(
          {
            ctx,
            config: loaded.values,
            urlKeys: Object.fromEntries(Object.entries(loaded.urlKeys).map(([k, v]) => [k, v.value])),
            log: out.debug,
            onSignal: (handler) => takeOverSignals(FORWARDED_SIGNALS, handler),
            onEvent: (e) => {
              switch (e.type) {
                case 'interpreter':
                  say(e.note);
                  break;
                case 'health-listening':
                  say(`health checks on ${e.url}`);
                  break;
                case 'waiting': {
                  const left = Math.ceil(e.attempt.remainingMs / 1000);
                  // One short line: a wrapped status line could not be redrawn in place.
                  if (out.progress) out.status(`waiting for PostgreSQL at ${e.server}: ${SHORT_REASON[e.attempt.error.code] ?? e.attempt.error.code}, ${left} s left`.slice(0, 79));
                  else if (e.attempt.error.message !== lastWaitMessage) say(`waiting for PostgreSQL (${e.target}): ${e.attempt.error.message}; retrying for ${left} s`);
                  lastWaitMessage = e.attempt.error.message;
                  break;
                }
                case 'db-ready':
                  if (e.attempts > 1) say(`PostgreSQL accepts ${e.target} (after ${seconds(Math.round(e.ms))})`);
                  else out.debug(`PostgreSQL accepts ${e.target} (${Math.round(e.ms)} ms)`);
                  break;
                case 'started':
                  out.debug(`started pid ${e.pid}${e.restarts ? ` (restart ${e.restarts})` : ''}`);
                  break;
                case 'signal':
                  if (e.action === 'forwarded') say(`${e.signal} forwarded to the server (process group ${e.pid})${e.signal === 'SIGHUP' ? '' : `; SIGKILL in ${opts.grace} s if it is still running`}`);
                  else if (e.action === 'killed') say(`${e.signal} again: killing the server (process group ${e.pid}) now`);
                  else say(`${e.signal}: not restarting the server`);
                  break;
                case 'exited':
                  if (e.exit.killedAfterGrace) out.warn(`the server did not stop within ${opts.grace} s: killed`);
                  else if (e.crashed) out.warn(`the server ${describeExit(e.exit)}`);
                  else out.debug(`the server ${describeExit(e.exit)}`);
                  break;
                case 'restarting':
                  say(`restarting the server in ${seconds(e.delayMs)} (restart ${e.restarts}; it ${describeExit(e.exit)})`);
                  break;
                case 'gave-up':
                  out.error(`the server crashed ${e.crashes} times within ${seconds(e.windowMs)}; giving up`, 'run it in the foreground (`mcpctl serve` without --restart) to see why it fails');
                  break;
              }
            },
          },
          {
            command: args.length ? args : undefined,
            waitSeconds: opts.wait,
            graceSeconds: opts.grace,
            restart: opts.restart,
            healthPort: opts.healthPort,
            healthHost: opts.healthHost,
            restartPolicy,
          },
        );
        if (result.exitCode !== 0) throw new ExitError(result.exitCode);
      }),
    );
}
