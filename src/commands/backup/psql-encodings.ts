/**
 * psql lexes each input line in the *current* client encoding, which it re-reads from the
 * server after every statement — and the script can change it at run time (`SET
 * client_encoding`, or `set_config` inside a function, invisible to any word filter). For the
 * client-only encodings SJIS, BIG5, GBK, UHC, JOHAB and GB18030, psql's scanner
 * (psqlscan.l, prepare_buffer) lets a byte ≥ 0x80 swallow the next one to three bytes — even a
 * quote or a backslash — so the same bytes that the guard reads as UTF-8 would be read by psql
 * as another tokenisation, and a `\!` the guard takes for string content could run (hostile
 * review C1).
 *
 * Rather than guess which encoding a script will switch to, the guard refuses every byte that
 * one of those encodings would swallow where swallowing it changes psql's reading: a quote or
 * backslash in a string, `"` in a quoted name, `$` in a dollar quote, `*` or `/` in a block
 * comment, anything but a letter, digit or `_` in SQL. A swallowed byte becomes 0xFF to psql,
 * which every state reads exactly as the guard reads those harmless bytes. Line comments never
 * matter, and psql prepares each line on its own, so nothing is swallowed across a newline.
 */
import { NL, St } from './psql-lexicon.js';

/** The encodings whose multibyte characters may end in an ASCII byte, as psql's PQmblen sizes them. */
const ENCODINGS = ['SJIS', 'BIG5', 'GBK', 'UHC', 'JOHAB', 'GB18030'] as const;
const GB18030 = ENCODINGS.indexOf('GB18030');

/** Bytes a lead byte `b` takes after itself (PQmblen − 1), GB18030's second byte aside. */
function trailing(enc: number, b: number): number {
  switch (ENCODINGS[enc]) {
    case 'SJIS':
      return b >= 0xa1 && b <= 0xdf ? 0 : 1; // half-width katakana are single bytes
    case 'JOHAB':
      return b === 0x8f ? 2 : 1; // pg_euc_mblen: SS3 takes two, SS2 and the rest one
    default:
      return 1; // BIG5, GBK, UHC; GB18030 decides after its second byte
  }
}

/** Whether psql reading byte `b` as 0xFF (part of a multibyte character) reads the script differently. */
function matters(b: number, st: St): boolean {
  if (b >= 0x80) return false;
  switch (st) {
    case St.LineComment:
      return false;
    case St.Quote:
      return b === 0x27 || b === 0x5c;
    case St.Ident:
      return b === 0x22;
    case St.Dollar:
      return b === 0x24;
    case St.Comment:
      return b === 0x2a || b === 0x2f;
    default:
      return !((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f);
  }
}

/** Follows, per encoding, how many bytes the current multibyte character still takes; kept across chunks. */
export class EncodingAmbiguity {
  private readonly pending = new Uint8Array(ENCODINGS.length);
  private busy = 0;
  /** GB18030 saw a lead byte: its second byte decides between two and four bytes. */
  private gbLead = false;

  /**
   * Scans buf[from, to), SQL the lexer read in state `st`; returns the position of the first byte
   * that one encoding would swallow and that matters there, with that encoding's name, or undefined.
   */
  scan(buf: Buffer, from: number, to: number, st: St): { at: number; encoding: string } | undefined {
    for (let p = from; p < to; p++) {
      const b = buf[p]!;
      if (this.busy === 0 && b < 0x80) continue;
      if (b === NL) {
        this.reset();
        continue;
      }
      for (let e = 0; e < ENCODINGS.length; e++) {
        if (this.pending[e]! > 0) {
          if (matters(b, st)) return { at: p, encoding: ENCODINGS[e]! };
          this.swallow(e, b);
        } else if (b >= 0x80) {
          this.pending[e] = trailing(e, b);
          if (e === GB18030) this.gbLead = true;
          if (this.pending[e]! > 0) this.busy++;
        }
      }
    }
    return undefined;
  }

  private swallow(e: number, b: number): void {
    if (e === GB18030 && this.gbLead) {
      this.gbLead = false;
      // A second byte 0x30–0x39 makes a four-byte character: two more bytes follow.
      if (b >= 0x30 && b <= 0x39) {
        this.pending[e] = 2;
        return;
      }
    }
    if (--this.pending[e]! === 0) this.busy--;
  }

  private reset(): void {
    this.pending.fill(0);
    this.busy = 0;
    this.gbLead = false;
  }
}
