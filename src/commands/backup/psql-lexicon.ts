/** The words, lines and bytes psql's lexer tells apart (psqlscan.l), and the refusal the guard throws. */
import { UserError } from '../../lib/cli/errors.js';

/** A refused backup: the line (1-based) and why. Nothing from that line on reached psql. */
export class UnsafeScriptError extends UserError {
  readonly line: number;
  constructor(line: number, why: string) {
    super(`refusing to restore: line ${line} ${why}`, {
      code: 'unsafe-backup',
      hint: 'restore runs only SQL for the target database; nothing was restored. Inspect the file, or restore a backup made by pg_dump/mcpctl',
    });
    this.line = line;
  }
}

// Statement-start words that would end or split the restore's own transaction.
export const TX_WORDS = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'prepare']);
export const NL = 0x0a;

const IDENT = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"\n]|"")+")`;
/** pg_dump's COPY line, the only form accepted (psql then reads data lines until `\.`). */
export const COPY_LINE = new RegExp(String.raw`^COPY ${IDENT}(?:\.${IDENT})?(?: \(${IDENT}(?:, ?${IDENT})*\))? FROM stdin;\r?\n?$`, 'i');
export const RESTRICT_LINE = /^\\(?:un)?restrict [A-Za-z0-9]{1,128}\r?\n?$/;

export const isIdentStart = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
export const isIdentCont = (b: number) => isIdentStart(b) || (b >= 0x30 && b <= 0x39) || b === 0x24;
export const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
export const isVarChar = (b: number) => isIdentStart(b) || (b >= 0x30 && b <= 0x39);
export const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === NL || b === 0x0d || b === 0x0c || b === 0x0b;
