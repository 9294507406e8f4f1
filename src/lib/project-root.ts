/**
 * Which folder is the project: the nearest one, from the current folder upwards, that holds
 * `.env`, `.env.local`, `.env.template`, `.env.example` or `migrations/` — never above the
 * git work tree's root (nor `/`). Run from `src/pkg/`, a command acts on the project as from
 * its root; an MCP client that starts `serve` from `/` finds nothing and is told so.
 */
import { statSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_MARKERS = ['.env', '.env.local', '.env.template', '.env.example', 'migrations/'] as const;

export interface ProjectRoot {
  dir: string;
  /** How it was chosen: `-C`, a marker found (which), or nothing found (the start folder). */
  via: { kind: 'flag' } | { kind: 'marker'; marker: string } | { kind: 'none'; searchedUpTo: string };
}

function kind(p: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** Walks up from `start` (absolute). Synchronous: a handful of stats at start-up. */
export function findProjectRoot(start: string): ProjectRoot {
  for (let d = start; ; d = path.dirname(d)) {
    for (const m of PROJECT_MARKERS) {
      const k = kind(path.join(d, m.replace(/\/$/, '')));
      if (m.endsWith('/') ? k === 'dir' : k === 'file') return { dir: d, via: { kind: 'marker', marker: m } };
    }
    // The work tree's root (`.git` is a folder, or a file in a linked worktree) ends the walk.
    if (kind(path.join(d, '.git')) || path.dirname(d) === d) return { dir: start, via: { kind: 'none', searchedUpTo: d } };
  }
}

/** One line for people: which folder and why (verify-env --explain, --debug). */
export function describeProjectRoot(r: ProjectRoot): string {
  switch (r.via.kind) {
    case 'flag':
      return `${r.dir} (from -C/--cwd)`;
    case 'marker':
      return `${r.dir} (it holds ${r.via.marker})`;
    case 'none':
      return `${r.dir} (no project found up to ${r.via.searchedUpTo}: defaults are used)`;
  }
}
