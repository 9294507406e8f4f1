/**
 * `mcpctl doctor`: "it doesn't work — why?" in one report: verify-env's checks, verify-db's
 * checks, then the MCP client entries — each started as its client would start it, answering
 * `initialize` or saying why not. Same report shape and exit codes as verify-db.
 */
import { runVerifyDb } from '../../core/verify-db.js';
import { runVerifyEnv } from '../../core/verify-env.js';
import { inspectClients } from '../../core/verify-env-clients.js';
import { loadConfig } from '../../lib/config/load.js';
import type { Context } from '../../lib/context.js';
import { resolveAppPassword } from '../../lib/credentials.js';
import { makeReport, runCheck, skip, type Check, type Report } from '../../lib/report.js';
import { redact } from '../../lib/redact.js';
import { startEntry } from './start-entry.js';
import { urlKeysOutcome } from './url-keys.js';

export interface DoctorOptions {
  strict?: boolean;
  /** Milliseconds for each tool, connection and check (default 10 s), and for each client entry to answer. */
  timeoutMs?: number;
  /** Start the client entries (default true). */
  startClients?: boolean;
  /** Python packages the server needs (default: fastmcp), as verify-env's --python-package. */
  pythonPackages?: string[];
}

export interface DoctorDeps {
  ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'signal'>;
  platform: NodeJS.Platform;
  version: string;
  log?: (line: string) => void;
  onProgress?: (text: string) => void;
}

export interface DoctorResult extends Report {
  configInvalid: boolean;
  /** Which part each check belongs to, in report order. */
  sections: { env: string[]; db: string[]; clients: string[] };
}

/** The environment an MCP client gives the servers it starts: little beyond PATH and HOME. */
function clientEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'LANG', 'PGPASSFILE'];
  return Object.fromEntries(keep.filter((k) => env[k]).map((k) => [k, env[k]!]));
}

export async function runDoctor(deps: DoctorDeps, opts: DoctorOptions = {}): Promise<DoctorResult> {
  const { ctx } = deps;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  deps.onProgress?.('checking the machine and the project');
  const envReport = await runVerifyEnv({ ctx, log: deps.log, platform: deps.platform }, { strict: opts.strict, timeoutMs, pythonPackages: opts.pythonPackages });
  const envChecks = envReport.checks;

  let dbChecks: Check[];
  let password: string | undefined;
  if (envReport.configInvalid) dbChecks = [{ name: 'database', status: 'skip', ms: 0, message: 'configuration invalid (see config)' }];
  else {
    deps.onProgress?.('checking the database');
    const loaded = await loadConfig({ cwd: ctx.cwd, env: ctx.env });
    password = (await resolveAppPassword(loaded.values, ctx)).password;
    dbChecks = (await runVerifyDb({ ctx, config: loaded.values, passwordSourceLabel: loaded.resolved.POSTGRES_PASSWORD.source?.label, onProgress: deps.onProgress }, { timeoutMs: Math.min(timeoutMs, 5000) })).checks;
    const down = dbChecks.some((c) => c.status === 'fail' && ['reachable', 'auth'].includes(c.name));
    // The URLs the server is given, logged in with as its driver would (they may name other databases).
    const appPassword = password;
    dbChecks.push(await runCheck('url-keys', async () => (down ? skip('the database checks failed') : urlKeysOutcome(loaded.urlKeys, loaded.values, appPassword, Math.min(timeoutMs, 5000)))));
  }
  const dbDown = dbChecks.some((c) => c.status === 'fail' && ['reachable', 'auth'].includes(c.name));

  // The client entries: each one started as its client starts it.
  const { entries } = await inspectClients({ ctx, platform: deps.platform, password });
  const clientChecks: Check[] = [];
  for (const e of entries) {
    const name = `client ${e.client}${e.scope === 'user' ? ' (user)' : ''}: ${e.name}`;
    clientChecks.push(
      await runCheck(name, async () => {
        if (e.problems.length) return { status: 'fail', message: e.problems.join('; '), hint: `register it again: mcpctl client add ${e.client}${e.scope === 'user' ? ' --scope user' : ''}` };
        if (opts.startClients === false) return skip('not started (--no-start)');
        if (dbDown) return skip('not started: the database checks failed');
        deps.onProgress?.(`starting ${e.client}'s entry "${e.name}"`);
        // Started from / with a client's sparse environment: the entry must not depend on either.
        const r = await startEntry(e.command, e.args, { env: clientEnv(ctx.env), cwd: '/', timeoutMs: Math.max(timeoutMs, 15_000), version: deps.version });
        if (r.ok) return { status: 'pass', message: `${r.message} in ${Math.round(r.ms)} ms` };
        return { status: 'fail', message: redact(`${r.message}${r.stderrTail ? `; stderr: ${r.stderrTail}` : ''}`), hint: `run it as the client does: ${e.command} ${e.args.join(' ')}` };
      }),
    );
  }
  if (!entries.length) clientChecks.push({ name: 'client entries', status: 'skip', ms: 0, message: 'no MCP client starts this project (mcpctl client add <client>)' });

  const checks = [...envChecks, ...dbChecks, ...clientChecks];
  const report = makeReport(checks, opts.strict);
  return { ...report, configInvalid: envReport.configInvalid, sections: { env: envChecks.map((c) => c.name), db: dbChecks.map((c) => c.name), clients: clientChecks.map((c) => c.name) } };
}
