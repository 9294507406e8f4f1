import { InvalidArgumentError, type Command } from 'commander';
import { action, intOption, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';
import { RESTART_POLICIES, SERVE_DEFAULTS, SERVE_INT_OPTIONS, type ServeFlags } from './options.js';

function restartMode(value: string): 'no' | 'on-failure' {
  if (RESTART_POLICIES.includes(value)) return value as 'no' | 'on-failure';
  throw new InvalidArgumentError(`--restart takes "on-failure" or "no", not ${JSON.stringify(value)}`);
}

/** intOption with the range of serve's shared table (options.ts). */
function int(flag: keyof typeof SERVE_INT_OPTIONS) {
  return intOption(flag, SERVE_INT_OPTIONS[flag].min, SERVE_INT_OPTIONS[flag].max);
}

export function registerServe(program: Command, makeEnv: EnvFactory): void {
  program
    .command('serve')
    .description(COMMAND_DESCRIPTIONS['serve'])
    .argument('[command...]', 'the command to run, after `--` (default: MCP_SERVER_COMMAND)')
    .option('--wait <seconds>', 'how long to wait for PostgreSQL to accept the login', int('--wait'), SERVE_DEFAULTS.wait)
    .option('--grace <seconds>', 'time between a forwarded SIGINT/SIGTERM and SIGKILL', int('--grace'), SERVE_DEFAULTS.grace)
    .option('--restart <policy>', 'on-failure: restart a crashed server (1 s doubling to 30 s; gives up after 5 crashes in 60 s)', restartMode)
    .option('--health-port <n>', 'answer GET /health on this port (0: any free port)', int('--health-port'))
    .option('--health-host <addr>', 'address the health endpoint binds to', SERVE_DEFAULTS.healthHost)
    .option('--restart-delay <ms>', 'first restart delay with --restart (default 1000; the doubling cap scales with it: 30×)', int('--restart-delay'))
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
      action<ServeFlags>(makeEnv, async (env, opts, args, cmd) => {
        const { serveAction } = await import('./action.js');
        await serveAction(env, opts, args, cmd.getOptionValueSource('healthHost') === 'cli');
      }),
    );
}
