/** The human views of `backup` and `backup list` (`--json` prints the same results whole). */
import { formatBytes, formatMs, printable as shown, type Output } from '../../lib/cli/output.js';
import type { BackupProgress, BackupResult } from './run.js';
import type { BackupListResult } from './list.js';

/** One status line with every database's progress: bytes dumped and written, and the rate. */
export function progressLine(out: Output): (p: BackupProgress) => void {
  const lines = new Map<string, string>();
  return (p) => {
    const bytes = p.dumped ?? p.written;
    const rate = p.elapsedMs > 0 ? Math.round((bytes / p.elapsedMs) * 1000) : 0;
    const dumped = p.dumped === undefined ? '' : `${formatBytes(p.dumped)} dumped → `;
    lines.set(p.database, `${shown(p.database)}: ${dumped}${formatBytes(p.written)} written, ${formatBytes(rate)}/s`);
    out.status([...lines.values()].join('  |  '));
  };
}

export function renderBackup(out: Output, result: BackupResult): void {
  for (const b of result.backups) {
    if (b.path) {
      const mark = b.ok ? out.paint('success', '✓') : out.paint('error', '✗');
      out.info(`${mark} ${shown(b.database)} → ${shown(b.path)}`);
      const sql = b.dumpedBytes === undefined ? '' : ` (${formatBytes(b.dumpedBytes)} of SQL)`;
      out.info(`    ${formatBytes(b.size!)}${sql} in ${formatMs(b.durationMs)}  sha256 ${b.sha256}`);
    }
    if (b.verify) out.info(`    verify: ${shown(b.verify.message)} ${out.paint('muted', `(${formatMs(b.verify.durationMs)})`)}`);
    if (b.pruned.length) out.info(`    pruned ${b.pruned.length} older backup(s): ${b.pruned.map((p) => shown(p.split('/').pop()!)).join(', ')}`);
    if (b.error) out.error(shown(`${b.database}: ${b.error.message}`), b.error.hint && shown(b.error.hint));
  }
  const failed = result.backups.filter((b) => !b.ok).length;
  const skipped = result.backups.filter((b) => b.skipped).length;
  const how = skipped ? ` (${skipped} not attempted: ${skipped === 1 ? 'it refuses' : 'they refuse'} connections)` : '';
  if (result.backups.length > 1) out.info(failed ? out.paint('error', `${failed} of ${result.backups.length} databases not backed up${how}`) : out.paint('success', `${result.backups.length} backups written`));
}

export function renderList(out: Output, result: BackupListResult): void {
  if (result.backups.length === 0) return out.info(`no backups in ${shown(result.dir)}`);
  const rows = result.backups.map((b) => [
    b.database === undefined ? '(foreign)' : shown(b.database),
    b.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    formatBytes(b.size),
    `${b.format}${b.compression === 'none' ? '' : `+${b.compression}`}`,
    b.origin === 'foreign' && b.checksum === 'missing' ? 'no checksum' : b.checksum,
    shown(b.file.split('/').pop()!),
  ]);
  const head = ['DATABASE', 'TIME (UTC)', 'SIZE', 'FORMAT', 'CHECKSUM', 'FILE'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ');
  out.info(out.paint('strong', fmt(head)));
  for (const r of rows) {
    const role = r[4] === 'ok' ? 'success' : r[4] === 'mismatch' ? 'error' : 'warn';
    out.info(fmt(r).replace(` ${r[4]!.padEnd(w[4]!)} `, ` ${out.paint(role, r[4]!.padEnd(w[4]!))} `));
  }
  if (result.backups.some((b) => b.origin === 'foreign')) out.info(out.paint('muted', 'foreign: not made by mcpctl (or its .sha256 is gone); restore it with --db <database>'));
  out.info(out.paint('muted', `folder ${shown(result.dir)}`));
}
