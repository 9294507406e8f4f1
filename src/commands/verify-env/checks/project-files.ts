import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, formatIssue } from '../../../lib/config/load.js';
import { trackedAmong } from '../../../lib/git/porcelain.js';
import { fail, pass, runCheck, skip, warn, type Check } from '../../../lib/cli/report.js';
import { pathExists } from '../../../lib/files/fs-exists.js';
import type { EnvFacts } from '../facts.js';

export function envFileCheck(f: EnvFacts): Promise<Check> {
  return runCheck('env-file', async () => {
    if (f.loaded?.files.envExists ?? (await pathExists(path.join(f.cwd, '.env')))) return pass('.env present');
    const template = await pathExists(path.join(f.cwd, '.env.template'));
    return fail(`.env not found in ${f.cwd}`, template ? 'cp .env.template .env, then fill it in' : 'create .env (see .env.template in the mcpctl package)');
  });
}

export function configCheck(f: EnvFacts): Promise<Check> {
  return runCheck('config', async () => {
    const e = f.configError;
    if (e instanceof ConfigError) {
      const all = [...e.issues.map(formatIssue), ...e.warnings.map((w) => `warning ${formatIssue(w)}`)];
      return fail(all.join('; '), 'fix the values; `mcpctl verify-env --explain` shows where each comes from');
    }
    if (e) throw e;
    const w = f.loaded!.warnings;
    if (w.length) return warn(w.map(formatIssue).join('; '), 'remove or rename the keys above');
    return pass('all values valid');
  });
}

/** .env.local holds the password: mode 0600 and never tracked. */
export function envLocalCheck(f: EnvFacts, gitRoot: string | undefined): Promise<Check> {
  return runCheck('env-local', async () => {
    const file = path.join(f.cwd, '.env.local');
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      return skip('.env.local not present (setup-db creates it)');
    }
    const problems: string[] = [];
    const hints: string[] = [];
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      problems.push(`mode ${mode.toString(8).padStart(4, '0')} lets others read it`);
      hints.push(`chmod 600 ${file}`);
    }
    if (gitRoot && (await trackedAmong(f.git, ['.env.local'])).length) {
      problems.push('tracked by git');
      hints.push('git rm --cached .env.local, and rotate the password: mcpctl setup-db --rotate-password');
    }
    if (problems.length) return fail(`.env.local ${problems.join(' and ')}`, hints.join('; '));
    return pass(`.env.local mode 0600${gitRoot ? ', not tracked' : ''}`);
  });
}
