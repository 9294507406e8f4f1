// The one secret search: every form a user writes a password in is found, at any chunk split,
// in text and binary alike; ordinary text that merely resembles it is not.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bytesHoldSecret, fileHoldsSecret, SecretScanner, secretForms } from '../../src/lib/files/secret-search.js';

const PW = 'p@ss:w/rd#Q9x?"\\z-long';
const forms = secretForms([PW]);

/** A tiny seeded PRNG (mulberry32): the cases are random but the same every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const encodings: [string, (pw: string) => string][] = [
  ['plain', (p) => p],
  ['percent-encoded (upper)', encodeURIComponent],
  ['percent-encoded (lower hex)', (p) => encodeURIComponent(p).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
  ['percent-encoded, every byte', (p) => [...Buffer.from(p)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')],
  ['only @ and : encoded', (p) => p.replace('@', '%40').replace(':', '%3A')],
  ['JSON string', (p) => JSON.stringify(p).slice(1, -1)],
  ['base64', (p) => b64(p)],
  ['base64 of user:password (Basic auth)', (p) => b64(`mcp_user:${p}`)],
  ['base64 of x:password', (p) => b64(`x:${p}`)],
  ['base64url', (p) => b64(`ab${p}`).replace(/\+/g, '-').replace(/\//g, '_')],
  // GNU base64 wraps at 76 characters: the prefix puts the break inside the password's encoding.
  ['base64 wrapped at 76 (LF)', (p) => b64('#'.repeat(50) + p).replace(/.{76}/g, '$&\n')],
  ['base64 wrapped at 76 (CRLF)', (p) => b64('#'.repeat(51) + p).replace(/.{76}/g, '$&\r\n')],
  ['JSON string with \\/', (p) => JSON.stringify(p).slice(1, -1).replace(/\//g, '\\/')],
  ['.pgpass-escaped', (p) => p.replace(/\\/g, '\\\\').replace(/:/g, '\\:')],
];

// A user-chosen password with non-ASCII: Python's json.dumps writes it `\u00e4` (ASCII-only).
const WIDE = 'pä/ss:wörd"\\€x😀-9';
const wideForms = secretForms([WIDE]);
const pyJson = (p: string) => JSON.stringify(p).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('secret search', () => {
  for (const [name, enc] of encodings) {
    it(`finds the password ${name}, split at every chunk boundary (seeded)`, () => {
      const rand = rng(name.length * 7919);
      const text = Buffer.from(`url = postgresql://mcp_user:${enc(PW)}@localhost:5432/db\n`);
      expect(bytesHoldSecret(text, forms)).toBe(true);
      for (let round = 0; round < 60; round++) {
        const s = new SecretScanner(forms);
        let at = 0;
        let found = false;
        while (at < text.length) {
          const n = 1 + Math.floor(rand() * 7);
          found = s.push(text.subarray(at, at + n)) || found;
          at += n;
        }
        expect(found).toBe(true);
      }
    });
  }

  it('finds a non-ASCII password as json.dumps, JSON with \\/, .pgpass and UTF-16 (LE, BE) write it', () => {
    const le = Buffer.from(`KEY=${WIDE}\r\n`, 'utf16le');
    const cases: [string, Buffer][] = [
      ['ensure_ascii', Buffer.from(`{"pw": "${pyJson(WIDE)}"}`)],
      ['ensure_ascii with \\/', Buffer.from(`{"pw": "${pyJson(WIDE).replace(/\//g, '\\/')}"}`)],
      ['pgpass', Buffer.from(`localhost:5432:*:postgres:${WIDE.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`)],
      ['utf-16le with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
      ['utf-16be', Buffer.from(le).swap16()],
      ['utf-16le at an odd offset', Buffer.concat([Buffer.from([0x41]), le])],
    ];
    for (const [name, bytes] of cases) expect(bytesHoldSecret(bytes, wideForms), name).toBe(true);
    expect(bytesHoldSecret(Buffer.from(`{"pw": "${pyJson('pä/ss:wörd"\\€x😀-8')}"}`), wideForms)).toBe(false);
  });

  it('finds the password inside a gzip file, streamed, and in a gzip blob', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-secret-'));
    try {
      const file = path.join(dir, 'env.gz');
      const gz = gzipSync(Buffer.concat([Buffer.alloc(3 << 20, 0x61), Buffer.from(`\nPOSTGRES_PASSWORD=${PW}\n`)]));
      await fs.writeFile(file, gz);
      expect(await fileHoldsSecret(file, forms)).toBe(true);
      expect(bytesHoldSecret(gz, forms)).toBe(true);
      await fs.writeFile(file, gzipSync(Buffer.from('POSTGRES_PASSWORD=other-password-here\n')));
      expect(await fileHoldsSecret(file, forms)).toBe(false);
      // A truncated gzip is no error: what could be decompressed is searched.
      await fs.writeFile(file, gz.subarray(0, 100));
      expect(await fileHoldsSecret(file, forms)).toBe(false);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('does not flag text that only resembles it, nor short secrets', () => {
    expect(bytesHoldSecret(Buffer.from(`p@ss:w/rd#Q9x?"\\z-lon g ${b64('unrelated')}`), forms)).toBe(false);
    expect(bytesHoldSecret(Buffer.from('the word test is everywhere'), secretForms(['test']))).toBe(false);
    expect(bytesHoldSecret(Buffer.from('anything'), secretForms([undefined]))).toBe(false);
  });

  it('streams a large binary file and finds the password bytes near its end', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-secret-'));
    try {
      const file = path.join(dir, 'blob.bin');
      const noise = Buffer.alloc(3 * (1 << 20) + 17);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 131 + 7) & 0xff;
      await fs.writeFile(file, Buffer.concat([noise, Buffer.from(PW), Buffer.from([0, 1, 2])]));
      expect(await fileHoldsSecret(file, forms)).toBe(true);
      await fs.writeFile(file, noise);
      expect(await fileHoldsSecret(file, forms)).toBe(false);
      await fs.symlink(`/tmp/${encodeURIComponent(PW)}`, path.join(dir, 'link'));
      expect(await fileHoldsSecret(path.join(dir, 'link'), forms, { followLinks: false })).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
