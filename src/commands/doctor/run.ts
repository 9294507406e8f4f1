/**
 * `mcpctl doctor`: "it doesn't work — why?" in one report: verify-env's checks, verify-db's
 * checks, then the MCP client entries — each started as its client would start it, answering
 * `initialize` or saying why not. Same report shape and exit codes as verify-db.
 */
import { runVerifyDb } from '../verify-db/run.js';
import { runVerifyEnv } from '../verify-env/run.js';
import { inspectClients } from '../verify-env/clients.js';
import { loadConfigForCheck } from '../verify-env/facts.js';
import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { resolveAppPassword } from '../../lib/config/credentials.js';
import { makeReport, runCheck, skip, type Check, type Report } from '../../lib/cli/report.js';
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

/** What doctor tells its adapter: what it checks now (a status line), and --debug lines. */
export type DoctorEvent = { type: 'progress'; text: string } | DebugEvent;

export type DoctorDeps = Pick<CoreDeps<DoctorEvent>, 'events'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'home' | 'signal' | 'secrets' | 'libpqSocketDir'>;
  platform: NodeJS.Platform;
  version: string;
};

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
  const progress = (text: string) => deps.events({ type: 'progress', text });
  progress('checking the machine and the project');
  const config = await loadConfigForCheck(ctx);
  const envReport = await runVerifyEnv({ ctx, config, events: deps.events }, { strict: opts.strict, timeoutMs, pythonPackages: opts.pythonPackages, platform: deps.platform });
  const envChecks = envReport.checks;

  let dbChecks: Check[];
  let password: string | undefined;
  if (!config.loaded) dbChecks = [{ name: 'database', status: 'skip', ms: 0, message: 'configuration invalid (see config)' }];
  else {
    progress('checking the database');
    const loaded = config.loaded;
    password = (await resolveAppPassword(loaded.values, ctx)).password;
    dbChecks = (await runVerifyDb({ ctx, config: loaded, events: (e) => progress(e.text) }, { timeoutMs: Math.min(timeoutMs, 5000) })).checks;
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
        progress(`starting ${e.client}'s entry "${e.name}"`);
        // Started from / with a client's sparse environment: the entry must not depend on either.
        const r = await startEntry(e.command, e.args, { env: clientEnv(ctx.env), cwd: '/', timeoutMs: Math.max(timeoutMs, 15_000), version: deps.version });
        if (r.ok) return { status: 'pass', message: `${r.message} in ${Math.round(r.ms)} ms` };
        return { status: 'fail', message: ctx.secrets.redact(`${r.message}${r.stderrTail ? `; stderr: ${r.stderrTail}` : ''}`), hint: `run it as the client does: ${e.command} ${e.args.join(' ')}` };
      }),
    );
  }
  if (!entries.length) clientChecks.push({ name: 'client entries', status: 'skip', ms: 0, message: 'no MCP client starts this project (mcpctl client add <client>)' });

  const checks = [...envChecks, ...dbChecks, ...clientChecks];
  const report = makeReport(checks, opts.strict);
  return { ...report, configInvalid: envReport.configInvalid, sections: { env: envChecks.map((c) => c.name), db: dbChecks.map((c) => c.name), clients: clientChecks.map((c) => c.name) } };
}
