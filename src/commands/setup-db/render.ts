/** Human rendering of a setup-db result (the --json rendering is the result itself). */
import type { CommandEnv } from '../shared.js';
import type { SetupDbResult } from './types.js';

type Result = SetupDbResult;

export function render({ out, ctx }: CommandEnv, r: Result): void {
  const rel = (p: string) => (p.startsWith(ctx.cwd + '/') ? p.slice(ctx.cwd.length + 1) : p);
  const where = `${r.server.admin}@${r.server.host}:${r.server.port} (PostgreSQL ${r.server.version})`;
  if (r.dryRun) {
    out.info(out.paint('strong', `mcpctl setup-db --dry-run — plan for ${where}; nothing is changed`));
    out.info(out.paint('strong', 'SQL'));
    if (!r.steps.length) out.info('  (none: the server is already in place)');
    for (const s of r.steps) {
      const inDb = s.database && s.kind !== 'create-database' && s.kind !== 'alter-owner' ? out.paint('muted', `  -- in ${s.database}`) : '';
      for (const sql of s.sql) out.info(`  ${sql}${sql.startsWith('--') ? '' : ';'}${inDb}`);
    }
    out.info(out.paint('strong', 'Files'));
    for (const f of r.files) out.info(`  ${f.action.padEnd(9)} ${rel(f.path)}  ${out.paint('muted', f.detail)}`);
    out.info(`Password: ${passwordLine(r.role.password, true)}${r.role.passwordFrom ? ` (${r.role.passwordFrom})` : ''}`);
    for (const x of r.refusals) {
      out.info(out.paint('warn', `A real run would refuse (exit ${x.exitCode}): ${x.message}`));
      if (x.hint) out.info(`  hint: ${x.hint}`);
    }
    return;
  }
  out.info(out.paint('strong', `mcpctl setup-db — ${where}`));
  const mark = (changed: boolean) => (changed ? out.paint('success', '[+]') : out.paint('muted', '[=]'));
  const roleWord = { created: 'created (LOGIN CREATEDB)', updated: 'updated to LOGIN CREATEDB', 'in-place': 'already in place' }[r.role.state];
  out.info(`${mark(r.role.state !== 'in-place')} role ${r.role.name}: ${roleWord}`);
  out.info(`${mark(r.role.password !== 'kept')} password: ${passwordLine(r.role.password, false)}; stored in ${r.passwordStoredIn.map(rel).join(' and ')}`);
  for (const d of r.databases) {
    const word = { created: `created, owned by ${r.role.name}`, recreated: 'dropped and recreated (--reset)', 'owner-changed': `owner changed to ${r.role.name}`, 'in-place': 'already in place' }[d.state];
    out.info(`${mark(d.state !== 'in-place')} database ${d.name}: ${word}`);
  }
  for (const e of r.extensions) out.info(`${mark(e.state === 'created')} extension ${e.name} in ${e.database}: ${e.state === 'created' ? 'created' : 'already in place'}`);
  for (const m of r.migrations) {
    if (r.adopted.includes(m.database)) out.info(`${mark(true)} registry schema in ${m.database}: adopted (recorded as 000_registry)`);
    out.info(`${mark(m.applied.length > 0)} migrations in ${m.database}: ${m.applied.length ? `applied ${m.applied.join(', ')}` : 'up to date'}`);
  }
  for (const f of r.files) {
    const word = f.action === 'unchanged' ? 'unchanged' : f.action === 'create' ? 'created' : 'updated';
    out.info(`${mark(f.action !== 'unchanged')} ${rel(f.path)}: ${word}${f.kind === 'gitignore' && f.action !== 'unchanged' ? ` (${f.detail})` : ''}`);
  }
  out.info(r.changed ? out.paint('success', '✓ done') : out.paint('success', '✓ nothing changed: everything was already in place'));
}

function passwordLine(a: Result['role']['password'], plan: boolean): string {
  const words = {
    generated: plan ? 'a new one would be generated (40 characters, CSPRNG)' : 'generated (40 characters, CSPRNG)',
    rotated: plan ? 'would be rotated (--rotate-password)' : 'rotated (--rotate-password); the old one no longer works',
    kept: plan ? 'the stored one logs in and is kept' : 'the stored one still logs in; kept',
    'from-environment': plan ? 'would be set to POSTGRES_PASSWORD from the environment' : 'set to POSTGRES_PASSWORD from the environment',
    recovered: plan ? 'an interrupted change is finished: the pending password logs in and goes into the files' : 'an interrupted change was finished: the pending password logs in and is now in the files',
    reused: plan ? 'the stored one does not log in; another stored password for this role does and is used' : 'the stored one did not log in; another stored password for this role did and is used',
  } as const;
  return words[a];
}
