import { SecretRegistry } from './redact.js';
import { jsonSafe, printable, terminalSafe } from './printable.js';

export { printable };
import type { Check, Report } from './report.js';

/** Colour roles; the rest of the code asks for a role, never for a colour. */
export type Role = 'error' | 'warn' | 'success' | 'hint' | 'muted' | 'strong' | 'plain';

/** Where and how mcpctl writes. Every string passes through `redact`. */
export interface Output {
  readonly json: boolean;
  readonly debugEnabled: boolean;
  readonly color: boolean;
  /** Human text (stderr in `--json` mode, stdout otherwise). */
  info(text: string): void;
  success(text: string): void;
  warn(text: string): void;
  error(text: string, hint?: string): void;
  hint(text: string): void;
  debug(text: string): void;
  /** Paint text in a role (no-op without colour). */
  paint(role: Role, text: string): string;
  /** The one JSON document of `--json` mode, on stdout. */
  result(doc: unknown): void;
  /** A transient status line on a TTY (progress); ignored elsewhere. */
  status(text: string): void;
  /** True when transient progress may be drawn (stderr is a TTY and not CI). */
  readonly progress: boolean;
  /** Writes raw text to stdout (human mode only: tables, lists). */
  stdout(text: string): void;
  /** Human text on stderr in every mode (for `serve`, whose stdout belongs to the child). */
  note(text: string): void;
}

export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface OutputOptions {
  json: boolean;
  /** `--no-color` given. */
  noColorFlag: boolean;
  debug: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stdout: Stream;
  stderr: Stream;
  ci: boolean;
  /** The run's secrets (the context's registry); every written string is redacted with them. */
  secrets?: SecretRegistry;
}

/** Contract colour rules: --no-color, NO_COLOR or a non-TTY stream disable; FORCE_COLOR forces. */
export function colorEnabled(o: Pick<OutputOptions, 'noColorFlag' | 'env'>, stream: Stream): boolean {
  if (o.noColorFlag) return false;
  const force = o.env.FORCE_COLOR;
  if (force !== undefined) {
    // FORCE_COLOR=0 (or false) means "no colour", as Node and chalk read it — not "decide by TTY".
    if (force === '0' || force.toLowerCase() === 'false') return false;
    return true;
  }
  if (o.env.NO_COLOR !== undefined && o.env.NO_COLOR !== '') return false;
  if (o.env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function createOutput(o: OutputOptions): Output {
  const human = o.json ? o.stderr : o.stdout;
  const color = colorEnabled(o, human);
  const secrets = o.secrets ?? new SecretRegistry();
  // Redacted first (a secret is matched as it is), then made safe for the terminal.
  const redact = (t: string) => terminalSafe(secrets.redact(t), color);
  // Colour is this instance's decision: no process-wide switch (kleur's `enabled` was one).
  const paint = (role: Role, text: string) => (color ? sgr(role, text) : text);
  const progress = o.stderr.isTTY === true && !o.ci && !o.json;
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) {
      o.stderr.write('\r\x1b[2K');
      statusShown = false;
    }
  };
  const line = (stream: Stream, text: string) => {
    clearStatus();
    stream.write(redact(text) + '\n');
  };
  return {
    json: o.json,
    debugEnabled: o.debug,
    color,
    progress,
    paint,
    info: (t) => line(human, t),
    success: (t) => line(human, paint('success', t)),
    warn: (t) => line(o.stderr, paint('warn', `warning: ${t}`)),
    error: (t, hint) => {
      line(o.stderr, paint('error', `error: ${t}`));
      if (hint) line(o.stderr, paint('hint', `hint: ${hint}`));
    },
    hint: (t) => line(human, paint('hint', t)),
    debug: (t) => {
      if (o.debug) line(o.stderr, paint('muted', `debug: ${t}`));
    },
    result: (doc) => {
      clearStatus();
      o.stdout.write(jsonSafe(secrets.redact(JSON.stringify(doc, null, 2))) + '\n');
    },
    status: (t) => {
      if (!progress) return;
      o.stderr.write('\r\x1b[2K' + redact(t));
      statusShown = true;
    },
    stdout: (t) => line(o.stdout, t),
    note: (t) => line(o.stderr, t),
  };
}

/** ANSI SGR open/close codes per role (close codes reset only what they opened). */
const SGR: Record<Role, [string, string][]> = {
  error: [['31', '39'], ['1', '22']],
  warn: [['33', '39']],
  success: [['32', '39']],
  hint: [['36', '39']],
  muted: [['2', '22']],
  strong: [['1', '22']],
  plain: [],
};

function sgr(role: Role, text: string): string {
  return SGR[role].reduce((s, [open, close]) => `\x1b[${open}m${s}\x1b[${close}m`, text);
}

const SYMBOL: Record<Check['status'], { mark: string; role: Role }> = {
  pass: { mark: '[✓]', role: 'success' },
  warn: { mark: '[!]', role: 'warn' },
  fail: { mark: '[✗]', role: 'error' },
  skip: { mark: '[-]', role: 'muted' },
};

/** The one renderer of check reports: a checklist in the manner of `flutter doctor`. */
export function renderReport(out: Output, report: Report, title?: string): void {
  if (out.json) {
    out.result(report);
    return;
  }
  if (title) out.info(out.paint('strong', title));
  const width = Math.max(...report.checks.map((c) => c.name.length), 4);
  for (const c of report.checks) {
    const s = SYMBOL[c.status];
    const ms = out.paint('muted', `(${formatMs(c.ms)})`);
    // Messages name databases and files from outside: one line each, whatever they hold.
    out.info(`${out.paint(s.role, s.mark)} ${c.name.padEnd(width)}  ${printable(c.message)} ${ms}`);
    if (c.hint && c.status !== 'pass') out.info(`    ${out.paint('hint', '→ ' + printable(c.hint))}`);
  }
  const counts = countStatuses(report.checks);
  const summary = `${counts.pass} passed, ${plural(counts.warn, 'warning')}, ${counts.fail} failed, ${counts.skip} skipped`;
  out.info(report.ok ? out.paint('success', `✓ ${summary}`) : out.paint('error', `✗ ${summary}`));
}

export function countStatuses(checks: readonly Check[]): Record<Check['status'], number> {
  const c = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const x of checks) c[x.status]++;
  return c;
}

/** `1 warning`, `2 warnings`, `0 warnings`. */
export function plural(n: number, noun: string, pluralForm = noun + 's'): string {
  return `${n} ${n === 1 ? noun : pluralForm}`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
