import { plural, type Output } from '../../lib/cli/output.js';

/** The human view of `baseline compare`: a table, the failures and warnings, the verdict. */
export async function renderCompare(out: Output, r: import('./compare.js').CompareResult): Promise<void> {
  const { fmtMs, trimNum } = await import('./compare.js');
  out.info(out.paint('strong', `${r.metric}: ${r.current.file} (${r.current.format}) against ${r.baseline.file} (${r.baseline.format})`));
  const sign = (x: number) => (x > 0 ? '+' : '') + trimNum(x, 1) + '%';
  const table = r.rows.map((row) => [
    row.name + (row.baseline_name || row.current_name ? ` (${[row.baseline_name, row.current_name].filter(Boolean).join(' / ')})` : ''),
    row.baseline === null ? '—' : fmtMs(row.baseline),
    row.current === null ? '—' : fmtMs(row.current),
    row.change_pct === null ? '—' : sign(row.change_pct),
    `${trimNum(row.allowed_pct)}%`,
    row.status,
    row.significance ? `p=${row.significance.p.toFixed(3)}${row.significance.significant ? '' : ' (n.s.)'}` : '—',
  ]);
  const head = ['benchmark', 'baseline', 'current', 'change', 'allowed', 'status', 'significance'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const role = (s: string) => (s === 'fail' ? 'error' : s === 'warn' ? 'warn' : s === 'pass' ? 'success' : 'muted') as Parameters<Output['paint']>[0];
  const line = (cells: string[], paintStatus: boolean) =>
    cells
      .map((c, i) => {
        const padded = i === 0 || i === 5 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!);
        return paintStatus && i === 5 ? out.paint(role(c), padded) : padded;
      })
      .join('  ')
      .trimEnd();
  out.info(line(head, false));
  for (const t of table) out.info(line(t, true));
  for (const row of r.rows) if (row.status === 'fail' || row.status === 'warn') out.info(`  ${out.paint(role(row.status), row.status)} ${row.name}: ${row.message}`);
  for (const n of r.notes) out.warn(n);
  if (r.common === 0) {
    const names = (xs: string[]) => (xs.length ? xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '') : '(none)');
    out.info(out.paint('error', 'no benchmark is in both files: nothing was compared, so the gate fails'));
    out.info(`  baseline ${r.baseline.file}: ${names(r.unmatched.baseline)}`);
    out.info(`  current  ${r.current.file}: ${names(r.unmatched.current)}`);
  }
  const s = r.summary;
  const text = `${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s['baseline-only'] + s['current-only']} on one side only`;
  if (r.ok) out.success(`✓ ${text}`);
  else out.info(out.paint('error', `✗ ${text} (allowed regression ${trimNum(r.max_regression.percent)}% on ${r.metric}${r.hybrid ? ', hybrid' : ''}${r.strict ? ', strict' : ''})`));
}

export function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** The step summary of compare: the same table as the terminal, and the verdict. */
export function compareMarkdown(gh: typeof import('../../lib/github-actions.js'), r: import('./compare.js').CompareResult): string {
  const ms = (x: number | null) => (x === null ? '—' : `${Number(x.toFixed(3))} ms`);
  const pct = (x: number | null) => (x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(1)}%`);
  const mark: Record<string, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail' };
  const rows = r.rows.map((row) => [row.name, ms(row.baseline), ms(row.current), pct(row.change_pct), `${row.allowed_pct}%`, mark[row.status] ?? row.status, row.message]);
  const s = r.summary;
  const verdict = r.common === 0
    ? '❌ no benchmark is in both files: nothing was compared'
    : `${r.ok ? '✅' : '❌'} ${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s['baseline-only'] + s['current-only']} on one side only`;
  return `### mcpctl baseline compare (${r.metric})\n\n${r.current.file} against ${r.baseline.file}\n\n${gh.mdTable(['benchmark', 'baseline', 'current', 'change', 'allowed', 'status', 'note'], rows)}\n${verdict}\n\n`;
}
