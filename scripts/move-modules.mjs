#!/usr/bin/env node
// Moves TypeScript modules with `git mv` and rewrites every relative import of them (static,
// dynamic, `import type`, re-exports) in src/, tests/ and bench/, plus the moved modules' own
// imports; `dist/<path>.js` strings in bench/ follow too. Nothing else in a file changes, so a
// move stays a rename for git (others' edits to the old path merge onto the new one).
// Every move is recorded in scripts/moves.txt. After merging a branch whose new files still
// import old paths, `node scripts/move-modules.mjs --fix` rewrites every relative import that
// points at a file that no longer exists but is recorded as moved (following chains).
//   node scripts/move-modules.mjs src/lib/pg.ts=src/lib/pg/connection.ts [more old=new …]
//   node scripts/move-modules.mjs --fix
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ledger = path.join(root, 'scripts', 'moves.txt');
const parse = (arg) => {
  const [from, to] = arg.split('=');
  if (!from || !to) throw new Error(`expected old=new, got ${arg}`);
  return [path.resolve(root, from), path.resolve(root, to)];
};
const fix = process.argv[2] === '--fix';
const moves = new Map(fix ? [] : process.argv.slice(2).map(parse));
/** Recorded moves, chains followed (a→b, b→c gives a→c), for paths that no longer exist. */
const recorded = new Map(
  (existsSync(ledger) ? readFileSync(ledger, 'utf8') : '').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map(parse),
);
const finalOf = (p) => {
  for (let i = 0; i < 20 && recorded.has(p) && !existsSync(p); i++) p = recorded.get(p);
  return p;
};
if (fix) for (const from of recorded.keys()) if (!existsSync(from)) moves.set(from, finalOf(from));
for (const from of [...moves.keys()]) {
  if (!fix && !existsSync(from)) {
    console.log(`skipped (not there): ${path.relative(root, from)}`);
    moves.delete(from);
  }
}
if (!fix && !moves.size && process.argv.length <= 2) {
  console.error('usage: node scripts/move-modules.mjs old.ts=new.ts … | --fix');
  process.exit(2);
}

const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (n === 'node_modules' || n === 'dist') return [];
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|mts|mjs|js)$/.test(n) ? [p] : [];
  });
const files = ['src', 'tests', 'bench', 'scripts'].flatMap((d) => {
  try {
    return walk(path.join(root, d));
  } catch {
    return [];
  }
});

const withJs = (p) => p.replace(/\.ts$/, '.js');
const relSpec = (fromFile, target) => {
  let r = path.relative(path.dirname(fromFile), withJs(target)).split(path.sep).join('/');
  if (!r.startsWith('.')) r = './' + r;
  return r;
};
const SPEC = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bexport\s+\*\s+from\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;

/** Where a moved file used to be (newest first): a merged-in copy may still import relative to those. */
const formerPaths = (file) => {
  const out = [];
  for (let cur = file, i = 0; i < 20; i++) {
    const prev = [...recorded].find(([, to]) => to === cur)?.[0];
    if (!prev) break;
    out.push(prev);
    cur = prev;
  }
  return out;
};

let changed = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const newFile = moves.get(file) ?? file;
  let out = text.replace(SPEC, (m, head, q, spec) => {
    let resolved = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    let relocated = false;
    if (fix && !existsSync(resolved) && !moves.has(resolved)) {
      // An import written at the file's former location (brought in by a merge).
      for (const old of formerPaths(file)) {
        const r = path.resolve(path.dirname(old), spec.replace(/\.js$/, '.ts'));
        const t = existsSync(r) ? r : finalOf(r);
        if (existsSync(t)) {
          resolved = t;
          relocated = true;
          break;
        }
      }
    }
    const target = moves.get(resolved) ?? resolved;
    if (target === resolved && newFile === file && !relocated) return m;
    const exists = spec.endsWith('.js') || spec.endsWith('.ts');
    if (!exists) return m;
    const next = relSpec(newFile, target);
    return `${head}${q}${spec.endsWith('.ts') ? next.replace(/\.js$/, '.ts') : next}${q}`;
  });
  // bench/ loads the built modules by path: 'dist/lib/x.js'.
  for (const [from, to] of moves) {
    const d = (p) => 'dist/' + path.relative(path.join(root, 'src'), withJs(p)).split(path.sep).join('/');
    out = out.split(`'${d(from)}'`).join(`'${d(to)}'`);
  }
  if (out !== text) {
    writeFileSync(file, out);
    changed++;
  }
}
if (!fix) {
  for (const [from, to] of moves) {
    mkdirSync(path.dirname(to), { recursive: true });
    execFileSync('git', ['mv', path.relative(root, from), path.relative(root, to)], { cwd: root, stdio: 'inherit' });
    appendFileSync(ledger, `${path.relative(root, from)}=${path.relative(root, to)}\n`);
  }
}
console.log(fix ? `rewrote imports of moved modules in ${changed} file(s)` : `moved ${moves.size} module(s); rewrote imports in ${changed} file(s)`);
