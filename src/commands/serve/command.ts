import { InvalidArgumentError, type Command } from 'commander';
import { ExitError, UsageError } from '../../lib/cli/errors.js';
import { action, intOption, loadCommandConfig, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';

interface Opts {
  healthPort?: number;
  healthHost?: string;
  wait: number;
  grace: number;
  restart?: 'no' | 'on-failure';
  restartDelay?: number;
}

function restartMode(value: string): 'no' | 'on-failure' {
  if (value === 'on-failure' || value === 'no') return value;
  throw new InvalidArgumentError(`--restart takes "on-failure" or "no", not ${JSON.stringify(value)}`);
}


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
    .option('--restart-delay <ms>', 'first restart delay with --restart (default 1000; the doubling cap scales with it: 30×)', intOption('--restart-delay', 1, 60_000))
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
        const [loaded, { runServe }, { serveRenderer }] = await Promise.all([loadCommandConfig(env), import('./run.js'), import('./render.js')]);
        const restartPolicy = opts.restartDelay === undefined ? undefined : (await import('./restart-policy.js')).scaledPolicy(opts.restartDelay);
        const render = serveRenderer(out, opts.grace);

        const result = await runServe(
          {
            ctx,
            config: loaded,
            events: (e) => (e.type === 'debug' ? out.debug(e.text) : render(e)),
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
