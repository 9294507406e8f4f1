/**
 * The tree digest of `baseline generate-repo`: SHA-256 over every regular file below a folder,
 * in a framing anyone can reproduce (docs/baseline.md). Files are taken in ascending order of
 * their relative POSIX path compared byte by byte (UTF-8); for each file the hash receives
 *
 *   <path> 0x00 <size in bytes, decimal ASCII> 0x00 <content>
 *
 * The framing makes the digest unambiguous (no path/content boundary can shift).
 */
import { createHash, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Byte-wise comparison of UTF-8 paths. UTF-16 code-unit order equals UTF-8 byte order except for
 * characters outside the BMP (surrogates), so only those pay for an encoding.
 */
export function comparePaths(a: string, b: string): number {
  if (SURROGATE.test(a) || SURROGATE.test(b)) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An incremental digest: feed files in path order. */
export class TreeHasher {
  private readonly h: Hash = createHash('sha256');
  private last: string | undefined;

  add(relPath: string, content: string | Uint8Array): void {
    if (this.last !== undefined && comparePaths(this.last, relPath) >= 0) throw new Error(`tree digest: ${relPath} is out of order`);
    this.last = relPath;
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    this.h.update(relPath, 'utf8');
    this.h.update(`\0${bytes.length}\0`, 'latin1');
    this.h.update(bytes);
  }

  hex(): string {
    return this.h.digest('hex');
  }
}

/** Relative POSIX paths of every regular file below `dir`, sorted byte-wise. */
export async function listTree(dir: string, exclude: ReadonlySet<string> = new Set()): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile() && !exclude.has(r)) out.push(r);
    }
  };
  await walk('');
  return out.sort(comparePaths);
}

/** The digest of the files below `dir` (paths in `exclude` are relative and left out). */
export async function treeDigest(dir: string, exclude: ReadonlySet<string> = new Set()): Promise<{ digest: string; files: number; bytes: number }> {
  const files = await listTree(dir, exclude);
  const h = new TreeHasher();
  let bytes = 0;
  for (const f of files) {
    const content = await fs.readFile(path.join(dir, ...f.split('/')));
    bytes += content.length;
    h.add(f, content);
  }
  return { digest: h.hex(), files: files.length, bytes };
}
