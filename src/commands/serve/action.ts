/**
 * serve's adapter body: from parsed flags to the core's run and its rendering. Free of
 * commander, so that the fast path (src/serve-fast.ts) and the commander adapter (command.ts)
 * run the same code once they have parsed the command line.
 */
import { ExitError, UsageError } from '../../lib/cli/errors.js';
import { loadCommandConfig } from '../load-config.js';
import type { CommandEnv } from '../shared.js';
import type { ServeFlags } from './options.js';

/**
 * Runs serve with `opts`; `args` is the command after `--`; `healthHostGiven` says whether
 * --health-host was typed (its default must not demand --health-port).
 */
export async function serveAction(env: CommandEnv, opts: ServeFlags, args: string[], healthHostGiven: boolean): Promise<void> {
  const { ctx, out } = env;
  if (healthHostGiven && opts.healthPort === undefined) {
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
}
