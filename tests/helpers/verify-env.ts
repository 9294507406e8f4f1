import type { Context } from '../../src/lib/cli/context.js';
import { loadConfigForCheck } from '../../src/commands/verify-env/facts.js';
import type { VerifyEnvDeps } from '../../src/commands/verify-env/run.js';

/** runVerifyEnv's dependencies as its adapter builds them: the configuration loaded from `ctx`. */
export async function verifyEnvDeps(ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'secrets' | 'libpqSocketDir'>): Promise<VerifyEnvDeps> {
  return { ctx, config: await loadConfigForCheck(ctx), events: () => {} };
}
