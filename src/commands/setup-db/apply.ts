/**
 * Runs a setup-db plan step by step. The credential steps (write-pending → role → write-files
 * → clear-pending) run as one unit that an interrupt does not split: Ctrl-C there finishes it,
 * and a kill -9 leaves the pending record that the next run finishes with. Every failure says
 * exactly what changed.
 */
import type { Client } from 'pg';
import type { Config } from '../../lib/config/keys.js';
import type { Context } from '../../lib/cli/context.js';
import { clearPending, writePending } from '../../lib/config/credentials.js';
import { InterruptedError, UserError } from '../../lib/cli/errors.js';
import { applyMigrations, migrationStatus, type Migration } from '../../lib/pg/migrations.js';
import { appTarget, connect, describePgError, quoteIdent, quoteLiteral, type ConnTarget } from '../../lib/pg/client.js';
import { adoptRegistry } from './adopt.js';
import { stageFiles, sweepStaged, writeFiles, type FilePlan, type StagedFiles } from './files.js';
import type { SetupPlan, Step } from './types.js';

const CREDENTIAL_STEPS = new Set<Step['kind']>(['write-pending', 'create-role', 'alter-role', 'set-password', 'write-files', 'clear-pending']);

export interface ApplyDeps {
  cfg: Config;
  ctx: Context;
  admin: Client;
  adminTarget: ConnTarget;
  adminIsSuperuser: boolean;
  /** An admin connection in `database` (opened once, closed by the caller). */
  adminIn: (database: string) => Promise<Client>;
  /** Backends to cancel on Ctrl-C (running migrations). */
  running: Set<number>;
  migrations: readonly Migration[];
  files: FilePlan[];
  /** SCRAM verifier of the plan's password (when the role's password changes). */
  verifier: string | undefined;
  progress: (text: string) => void;
  log: (line: string) => void;
}

/** Applies the steps; returns the databases adopted. */
export async function applyPlan(d: ApplyDeps, plan: SetupPlan): Promise<{ adopted: string[] }> {
  return new PlanRun(d, plan).apply();
}

/** One application of a plan: what is done so far, which failure messages and the credential unit rely on. */
class PlanRun {
  readonly adopted: string[] = [];
  private readonly done: string[] = [];
  private staged: StagedFiles | undefined;
  private roleChanged = false;
  private filesWritten = false;
  private readonly key: { host: string; port: number; user: string };

  constructor(
    private readonly d: ApplyDeps,
    private readonly plan: SetupPlan,
  ) {
    this.key = { host: d.cfg.POSTGRES_HOST, port: d.cfg.POSTGRES_PORT, user: d.cfg.POSTGRES_USER };
  }

  private whatChanged(): string {
    return this.done.length ? `done before that: ${this.done.join('; ')}` : 'nothing was changed';
  }

  async apply(): Promise<{ adopted: string[] }> {
    const { d, plan } = this;
    // Staged files of a run that was killed before it could rename or remove them.
    await sweepStaged(d.files);
    for (const [i, step] of plan.steps.entries()) {
      // Interrupts are honoured between steps, except inside the credential unit.
      if (d.ctx.signal.aborted && (i === 0 || !CREDENTIAL_STEPS.has(step.kind))) {
        throw new InterruptedError(`interrupted before: ${step.summary}; ${this.whatChanged()}${this.filesWritten ? '; the credential files hold the current password' : ''}`, {
          hint: 'run `mcpctl setup-db` again to finish',
        });
      }
      d.log(`step ${i + 1}/${plan.steps.length} ${step.kind}: ${step.summary}`);
      d.progress(step.summary);
      try {
        await this.run(step);
      } catch (e) {
        throw await this.failure(step, e);
      }
      step.done = true;
      this.done.push(step.summary);
    }
    return { adopted: this.adopted };
  }

  private async run(step: Step): Promise<void> {
    const { d, plan } = this;
    const { cfg, ctx } = d;
    const key = this.key;
    const c = d.admin;
    const qRole = quoteIdent(cfg.POSTGRES_USER);
    switch (step.kind) {
      case 'write-pending':
        await writePending(ctx, { ...key, password: plan.password.value, createdAt: ctx.now().toISOString() });
        // A full disk or an unwritable folder shows up now, while the role is untouched.
        this.staged = await stageFiles(d.files);
        return;
      case 'create-role':
        await this.secretStatement(`CREATE ROLE ${qRole} LOGIN CREATEDB PASSWORD ${quoteLiteral(d.verifier!)}`, '42710', `ALTER ROLE ${qRole} LOGIN CREATEDB PASSWORD ${quoteLiteral(d.verifier!)}`);
        this.roleChanged = true;
        return;
      case 'set-password':
        await this.secretStatement(`ALTER ROLE ${qRole} PASSWORD ${quoteLiteral(d.verifier!)}`);
        this.roleChanged = true;
        return;
      case 'alter-role':
      case 'grant-membership':
      case 'drop-database':
      case 'alter-owner':
        await c.query(step.sql[0]!);
        return;
      case 'write-files':
        if (this.staged) await this.staged.commit();
        else await writeFiles(d.files);
        this.filesWritten = true;
        return;
      case 'clear-pending':
        await clearPending(ctx, key);
        return;
      case 'create-database':
        try {
          await c.query(step.sql[0]!);
        } catch (e) {
          // Created meanwhile by something that does not take our lock.
          if ((e as { code?: string }).code !== '42P04') throw e;
        }
        return;
      case 'adopt-registry':
        for (const r of (await adoptRegistry(await d.adminIn(step.database!), cfg.POSTGRES_USER, step.database!)).renamed) {
          d.log(`adopt ${step.database}: ${r.from} had another shape than the built-in table: renamed to ${r.to} (rows kept)`);
        }
        this.adopted.push(step.database!);
        return;
      case 'create-extension':
        await (await d.adminIn(step.database!)).query(step.sql[0]!);
        return;
      case 'migrate':
        await this.migrate(step);
        return;
    }
  }

  /** A statement carrying the verifier, kept out of the statement log (superuser only can). */
  private async secretStatement(sql: string, existsCode?: string, instead?: string): Promise<void> {
    const { d } = this;
    const c = d.admin;
    await c.query('BEGIN');
    try {
      if (d.adminIsSuperuser) await c.query("SET LOCAL log_statement = 'none'; SET LOCAL log_min_duration_statement = -1");
      await c.query('SAVEPOINT s');
      try {
        await c.query(sql);
      } catch (e) {
        // Created meanwhile by something that does not take our lock: bring it to state instead.
        if (!existsCode || (e as { code?: string }).code !== existsCode) throw e;
        await c.query('ROLLBACK TO SAVEPOINT s');
        await c.query(instead!);
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private async migrate(step: Step): Promise<void> {
    const { d, plan } = this;
    const { cfg, ctx } = d;
    const app = await connect({ ...appTarget(cfg, plan.password.value, step.database!), applicationName: 'mcpctl setup-db' });
    d.running.add((app as unknown as { processID: number }).processID);
    const entry = plan.migrations.find((m) => m.database === step.database)!;
    try {
      entry.applied = (await applyMigrations(app, d.migrations, (m) => {
        entry.applied.push(m.version);
        d.log(`applied ${m.version} in ${step.database}`);
      }, ctx.signal)).map((m) => m.version);
      entry.pending = [];
    } catch (e) {
      if (e instanceof InterruptedError) throw new InterruptedError(`${e.message} in ${step.database}; ${this.whatChanged()}`, { hint: 'run `mcpctl setup-db` again to finish' });
      if (ctx.signal.aborted && (e as { code?: string }).code === '57014') {
        // The running migration was cancelled server-side: its transaction was rolled back.
        throw new InterruptedError(`interrupted during: ${step.summary} (the running migration was cancelled and its transaction was rolled back${entry.applied.length ? `; applied before it: ${entry.applied.join(', ')}` : ''}); ${this.whatChanged()}`, {
          hint: 'run `mcpctl setup-db` again to finish',
        });
      }
      if (e instanceof UserError || ctx.signal.aborted) throw e;
      const failed = (await migrationStatus(app, d.migrations).catch(() => undefined))?.pending[0];
      if (failed?.source === 'built-in' || (!failed && (e as { code?: string }).code === '42501')) throw await this.builtinError(step.database!, e);
      throw new UserError(`migration ${failed?.source ?? '(unknown)'} failed in ${step.database}: ${(e as Error).message}`, {
        hint: 'its transaction was rolled back, so nothing of it stayed: fix the file and run setup-db again (migrations before it stay applied)',
        cause: e,
      });
    } finally {
      d.running.clear();
      await app.end().catch(() => undefined);
    }
  }

  /** The built-in migration failed: say who owns what, not "fix the file" (there is none). */
  private async builtinError(db: string, e: unknown): Promise<UserError> {
    const { d } = this;
    const { cfg } = d;
    const owner = await (await d.adminIn(db))
      .query<{ owner: string }>("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'registry'")
      .then((r) => r.rows[0]?.owner)
      .catch(() => undefined);
    const who = owner && owner !== cfg.POSTGRES_USER ? `; schema registry there is owned by ${owner}, not ${cfg.POSTGRES_USER}` : '';
    return new UserError(`the built-in registry migration failed in ${db}: ${(e as Error).message}${who}`, {
      hint: owner && owner !== cfg.POSTGRES_USER ? `run \`mcpctl setup-db --adopt\` to take the existing registry over, or as an admin: ALTER SCHEMA registry OWNER TO ${cfg.POSTGRES_USER};` : 'check the role\'s privileges in that database',
      cause: e,
    });
  }

  /** What a failure means for the credentials, said exactly. */
  private async failure(step: Step, e: unknown): Promise<unknown> {
    const { d } = this;
    const { cfg, ctx } = d;
    const key = this.key;
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const pendingNote = `the new password is kept in mcpctl's pending record (0600) — run \`mcpctl setup-db\` again to finish the switch`;
    if (step.kind === 'write-pending' || ((step.kind === 'create-role' || step.kind === 'set-password') && hasSqlState(e))) {
      // The role still has its old password (or does not exist): undo the write-ahead.
      await this.staged?.discard();
      await clearPending(ctx, key).catch(() => undefined);
      const what = step.kind === 'write-pending' ? `could not prepare the credential files (${reason})` : describePgError(e, d.adminTarget).message;
      return new UserError(`${what}; the role's password was not changed and no credential file was touched; ${this.whatChanged()}`, {
        hint: reason === 'ENOSPC' ? 'the disk is full: free some space and run setup-db again' : (e as UserError).hint ?? 'fix the cause and run setup-db again',
        cause: e,
      });
    }
    if (step.kind === 'create-role' || step.kind === 'set-password') {
      return new UserError(`the connection failed while setting the password of ${cfg.POSTGRES_USER} (${reason}); whether the server applied it is unknown; ${pendingNote}`, { cause: e });
    }
    if (step.kind === 'write-files' && this.roleChanged) {
      return new UserError(`the password of ${cfg.POSTGRES_USER} was changed, but writing the credential files failed (${reason}); ${pendingNote}`, {
        hint: reason === 'ENOSPC' ? 'free some space, then run `mcpctl setup-db`' : 'fix the cause, then run `mcpctl setup-db`',
        cause: e,
      });
    }
    if (e instanceof InterruptedError) return e;
    if (ctx.signal.aborted) {
      return new InterruptedError(`interrupted during: ${step.summary}; ${this.whatChanged()}`, {
        hint: 'run `mcpctl setup-db` again to finish',
      });
    }
    if (e instanceof UserError) return e;
    return describePgError(e, d.adminTarget);
  }
}

function hasSqlState(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
