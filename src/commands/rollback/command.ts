import type { Command } from 'commander';
import { UsageError } from '../../lib/cli/errors.js';
import type { Output } from '../../lib/cli/output.js';
import { printable as shown } from '../../lib/cli/printable.js';
import type { RollbackPlan, RollbackResult } from './run.js';
import type { PrepareResult } from './prepare.js';
import { action, type EnvFactory } from '../shared.js';
import { COMMAND_DESCRIPTIONS } from '../catalog.js';

interface Opts {
  tag: string;
  branch: string;
  expectBranch: string;
  stash: boolean;
  confirm?: string;
  dryRun?: boolean;
}

interface PrepareOpts {
  tag: string;
  branchName: string;
}

// Literal defaults here: the adapter must not load the core (and its imports) to build --help.
const DEFAULT_TAG = 'backup-before-refactor';
const DEFAULT_REFACTOR_BRANCH = '004-multi-project-refactor';

export function registerRollback(program: Command, makeEnv: EnvFactory): void {
  const rollback = program
    .command('rollback')
    .description(COMMAND_DESCRIPTIONS['rollback'])
    .option('--tag <name>', 'the tag to roll back to (lightweight or annotated)', DEFAULT_TAG)
    .option('--branch <name>', 'the branch to reset', 'main')
    .option('--expect-branch <name>', 'the branch you are expected to be on (otherwise a yes/no question)', DEFAULT_REFACTOR_BRANCH)
    .option('--no-stash', 'do not stash changes: refuse (exit 3) when there are any')
    .option('--confirm <word>', 'answer the typed confirmation non-interactively (must be ROLLBACK)')
    .option('--dry-run', 'show the plan and stop')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ mcpctl rollback --dry-run',
        '  $ mcpctl rollback                      # shows the plan, then asks you to type ROLLBACK',
        '  $ mcpctl rollback --branch master --yes --confirm ROLLBACK --json',
        '  $ mcpctl rollback prepare              # tag HEAD and create the refactor branch first',
      ].join('\n'),
    )
    .action(
      action<Opts, typeof import('./run.js')>(makeEnv, async ({ ctx, out, prompter }, opts, _args, _cmd, { runRollback }) => {
        const result = await runRollback(
          {
            ctx,
            prompter,
            events: (e) => {
              if (e.type === 'plan') renderPlan(out, e.plan);
              else if (e.type === 'step') out.info(out.paint('muted', `… ${e.text}`));
              else out.debug(e.text);
            },
          },
          { tag: opts.tag, branch: opts.branch, expectBranch: opts.expectBranch, stash: opts.stash, confirm: opts.confirm, dryRun: opts.dryRun },
        );
        if (out.json) out.result(result);
        else renderResult(out, result);
      }, () => import('./run.js')),
    );

  rollback
    .command('prepare')
    .description('on a clean tree: tag HEAD as the rollback point and create the refactor branch (never moves either)')
    .option('--tag <name>', 'the tag to create at HEAD', DEFAULT_TAG)
    .option('--branch-name <name>', 'the refactor branch to create at HEAD', DEFAULT_REFACTOR_BRANCH)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ mcpctl rollback prepare',
        '  $ mcpctl rollback prepare --tag before-v2 --branch-name v2-refactor --json',
      ].join('\n'),
    )
    .action(
      action<PrepareOpts>(makeEnv, async ({ ctx, out }, opts, _args, cmd) => {
        // Commander lets the parent `rollback` take its own options even after `prepare`
        // (so `--tag` lands there), and would silently ignore the ones prepare has no use for.
        const parent = cmd.parent!;
        const tag = cmd.getOptionValueSource('tag') === 'cli' ? opts.tag : (parent.getOptionValue('tag') as string);
        const stray = ['branch', 'expectBranch', 'stash', 'confirm', 'dryRun'].filter((k) => parent.getOptionValueSource(k) === 'cli');
        if (stray.length) {
          const flags = stray.map((k) => parent.options.find((o) => o.attributeName() === k)?.long ?? k);
          throw new UsageError(`rollback prepare does not take ${flags.join(', ')}`, { hint: 'run `mcpctl rollback prepare --help`' });
        }
        const { runRollbackPrepare } = await import('./prepare.js');
        const result = await runRollbackPrepare({ ctx, events: (e) => out.debug(e.text) }, { tag, branchName: opts.branchName });
        if (out.json) out.result(result);
        else renderPrepared(out, result);
      }),
    );
}

const short = (sha: string) => sha.slice(0, 12);

function renderPlan(out: Output, plan: RollbackPlan): void {
  const p = (role: Parameters<Output['paint']>[0], t: string) => out.paint(role, t);
  out.info(p('strong', 'Rollback plan'));
  out.info(`  repository   ${shown(plan.root)}`);
  out.info(`  reset        ${plan.branch.name} ${short(plan.branch.tip)} → ${plan.tag.name} ${short(plan.tag.commit)} ${shown(plan.tag.subject)} ${p('muted', `(${plan.tag.annotated ? 'annotated' : 'lightweight'} tag)`)}`);
  out.info(`  you are on   ${plan.current.branch ?? `detached HEAD ${short(plan.current.head ?? '')}`}`);
  out.info(`  ancestor     ${plan.tagIsAncestor ? `yes, ${plan.tag.name} is on ${plan.branch.name}` : p('warn', `no, ${plan.tag.name} is not on ${plan.branch.name}`)}`);
  if (plan.removed.total === 0) out.info(`  removes      no commits`);
  else {
    out.info(`  removes      ${plan.removed.total} commit(s) from ${plan.branch.name} (kept on ${plan.saveBranch}):`);
    for (const c of plan.removed.commits) out.info(`                 ${p('muted', short(c.commit))} ${shown(c.subject)}`);
    const more = plan.removed.total - plan.removed.commits.length;
    if (more > 0) out.info(`                 … and ${more} more`);
  }
  if (!plan.changes.length) out.info(`  stash        nothing to stash`);
  else {
    out.info(`  stash        ${plan.changes.length} file(s)${plan.willStash ? `, as "${plan.stashMessage}"` : ' — but --no-stash was given'}:`);
    const listed = plan.changes.slice(0, 50);
    for (const c of listed) out.info(`                 ${p('muted', `${c.x}${c.y}`)} ${c.from ? `${shown(c.from)} → ` : ''}${shown(c.path)}`);
    if (plan.changes.length > listed.length) out.info(`                 … and ${plan.changes.length - listed.length} more`);
  }
  if (plan.emptyFolders.length) out.info(`  folders      ${plan.emptyFolders.length} empty folder(s), recreated after the reset: ${plan.emptyFolders.slice(0, 10).map(shown).join(', ')}${plan.emptyFolders.length > 10 ? ' …' : ''}`);
  out.info(`  old tip      kept as branch ${plan.saveBranch}`);
  const lost = plan.earlier.folders.flatMap((l) => l.folders);
  if (plan.earlier.stashes.length || plan.earlier.branches.length || lost.length) {
    out.info(`  earlier      left by earlier mcpctl rollbacks (restore with \`git stash apply --index <hash>\`, delete with \`git branch -D <name>\`):`);
    for (const st of plan.earlier.stashes) out.info(`                 stash ${st.ref} ${short(st.commit)} ${shown(st.message)}`);
    for (const b of plan.earlier.branches) out.info(`                 branch ${b.name} ${short(b.commit)}`);
    if (lost.length) out.info(`                 ${lost.length} empty folder(s) deleted by a stash and not recreated (recreated after this reset): ${lost.slice(0, 10).map(shown).join(', ')}${lost.length > 10 ? ' …' : ''}`);
  }
  for (const w of plan.warnings) out.warn(w);
}

function renderResult(out: Output, r: RollbackResult): void {
  if (r.dryRun) {
    out.info(out.paint('muted', 'dry run: nothing changed'));
    return;
  }
  out.success(`✓ ${r.plan.branch.name} is at ${short(r.restored!.commit)} ${shown(r.restored!.subject)}`);
  out.info(`  stash        ${r.stash ? `${r.stash.ref} ${r.stash.commit} "${r.stash.message}"` : 'none (nothing to stash)'}`);
  out.info(`  old tip      ${r.savedTip!.branch} (${short(r.savedTip!.commit)})`);
  out.info('  to undo, run in ' + shown(r.plan.root) + ':');
  for (const c of r.undo!) out.info(`    ${c}`);
}

function renderPrepared(out: Output, r: PrepareResult): void {
  const said = (what: string, created: boolean) => (created ? out.success(`✓ created ${what}`) : out.info(out.paint('muted', `${what} already at HEAD`)));
  said(`tag ${r.tag.name}`, r.tag.created);
  said(`branch ${r.branch.name}`, r.branch.created);
  out.info(`  at ${short(r.head.commit)} ${shown(r.head.subject)}`);
  if (r.branch.created) out.hint(`start the refactor with: git switch ${r.branch.name}`);
}
