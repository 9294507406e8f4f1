import type { Command } from 'commander';
import { action, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';

interface Opts {
  force?: boolean;
}

export function registerInit(program: Command, makeEnv: EnvFactory): void {
  program
    .command('init')
    .description(COMMAND_DESCRIPTIONS.init)
    .option('--force', 'overwrite an existing .env from the template (the old one is kept as .env.bak)')
    .addHelpText(
      'after',
      [
        '',
        'Writes .env from the template shipped with mcpctl (every key with a comment, no secret),',
        'creates migrations/, and adds .env, .env.local, .env.*.local and backups/ to .gitignore.',
        'An existing .env is never overwritten without --force (exit 3, nothing changed).',
        '',
        'Examples:',
        '  $ mcpctl init',
        '  $ mcpctl init -C ~/src/my-mcp-server',
        '  $ mcpctl init --force --json',
      ].join('\n'),
    )
    .action(
      action<Opts>(makeEnv, async ({ ctx, out }, opts) => {
        const { runInit } = await import('./run.js');
        const result = await runInit({ ctx }, { force: opts.force });
        if (out.json) return out.result(result);
        for (const s of result.steps) {
          const rel = s.path.startsWith(result.project + '/') ? s.path.slice(result.project.length + 1) : s.path;
          const mark = s.action === 'unchanged' ? out.paint('muted', '=') : out.paint('success', '+');
          out.info(`${mark} ${rel}: ${s.action} — ${s.detail}`);
        }
        out.hint('next: edit .env (server, user, database names), then `mcpctl setup-db`');
      }),
    );
}
