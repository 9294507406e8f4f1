import type { LoadOptions } from '../lib/config/load.js';
import type { CommandEnv } from './shared.js';

/**
 * Loads and validates the configuration for a command, printing its warnings
 * (unknown keys and the like) to stderr. Throws ConfigError (exit 2) on invalid values.
 */
export async function loadCommandConfig(env: CommandEnv, flags?: LoadOptions['flags'], flagNames?: LoadOptions['flagNames']) {
  const { loadConfig, formatIssue } = await import('../lib/config/load.js');
  const loaded = await loadConfig({ cwd: env.ctx.cwd, env: env.ctx.env, flags, flagNames, secrets: env.ctx.secrets });
  for (const w of loaded.warnings) env.out.warn(formatIssue(w));
  return loaded;
}
