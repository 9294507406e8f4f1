/**
 * GitHub Actions, in the formats GitHub documents ("Workflow commands for GitHub Actions"):
 * - `::add-mask::<value>` on the step's output hides a value in every later log line;
 * - `$GITHUB_ENV`: lines `NAME=value`, or for a value with a line break
 *   `NAME<<DELIMITER` / the value's lines / `DELIMITER` — the delimiter must not be a line of the value;
 * - `$GITHUB_STEP_SUMMARY`: Markdown appended by each step, shown on the run's summary page.
 * Nothing here runs outside Actions: callers pass the environment they were given.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { redact } from './redact.js';
import type { Check, Report } from './report.js';

type Env = Readonly<Record<string, string | undefined>>;

/** True on a GitHub Actions runner (the runner sets GITHUB_ACTIONS=true in every step). */
export function inGitHubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** Escapes the data of a workflow command the way the runner unescapes it (% CR LF). */
export function escapeCommandData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The `::add-mask::` line for a value (never passes through redact: it must carry the value). */
export function maskCommand(value: string): string {
  return `::add-mask::${escapeCommandData(value)}\n`;
}

/** Environment variable names GitHub accepts in $GITHUB_ENV (and that a shell can use). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The $GITHUB_ENV text for `entries`: `NAME=value` when the value has no line break, else the
 * `NAME<<DELIMITER` form with a random delimiter that is not a line of the value.
 */
export function formatEnvFile(entries: readonly { key: string; value: string }[], makeDelimiter: () => string = () => `ghadelimiter_${randomUUID()}`): string {
  return entries
    .map(({ key, value }) => {
      if (!ENV_NAME.test(key)) throw new Error(`not an environment variable name: ${JSON.stringify(key)}`);
      if (!/[\r\n]/.test(value)) return `${key}=${value}\n`;
      let delimiter = makeDelimiter();
      while (value.split(/\r\n|\r|\n/).includes(delimiter)) delimiter = makeDelimiter();
      return `${key}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/** Appends `entries` to the file named by $GITHUB_ENV (one write, so lines never interleave). */
export async function appendGitHubEnv(file: string, entries: readonly { key: string; value: string }[]): Promise<void> {
  await fs.appendFile(file, formatEnvFile(entries), { encoding: 'utf8' });
}

const STATUS_MARK: Record<string, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail', skip: '⏭️ skip' };

/** A table cell: pipes escaped, line breaks as <br>, secrets redacted. */
export function mdCell(text: string): string {
  return redact(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>').trim() || ' ';
}

/** A Markdown table (GitHub Flavored Markdown) from a header row and body rows. */
export function mdTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(head), `| ${head.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n') + '\n';
}

/** The step-summary Markdown of a check report (verify-db, verify-env, doctor). */
export function reportMarkdown(title: string, report: Report): string {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of report.checks) counts[c.status]++;
  const rows = report.checks.map((c: Check) => [c.name, STATUS_MARK[c.status] ?? c.status, c.message, c.status === 'pass' ? '' : (c.hint ?? ''), `${c.ms} ms`]);
  const verdict = `${report.ok ? '✅' : '❌'} ${counts.pass} passed, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.fail} failed, ${counts.skip} skipped`;
  return `### ${title}\n\n${mdTable(['check', 'status', 'message', 'hint', 'time'], rows)}\n${verdict}\n\n`;
}

/**
 * Appends Markdown to $GITHUB_STEP_SUMMARY when it is set (on a runner, or anywhere it is set);
 * does nothing otherwise. A summary that cannot be written is reported, never fatal.
 */
export async function appendStepSummary(env: Env, markdown: string, warn: (text: string) => void): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    await fs.appendFile(file, redact(markdown), { encoding: 'utf8' });
  } catch (e) {
    warn(`could not append to GITHUB_STEP_SUMMARY (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
