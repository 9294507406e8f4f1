import { promises as fs } from 'node:fs';

/** True when something exists at `p` (a dangling symlink counts: lstat, not stat). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
