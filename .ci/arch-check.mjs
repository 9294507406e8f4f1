#!/usr/bin/env node
// The architecture limits of issue 16, measured (not guessed): file and function sizes in src/,
// loose files in src/lib, modules nobody imports, lib modules only one command uses, and where
// `process.` is read. `node .ci/arch-check.mjs` prints a report; `--strict` exits 1 on a breach.
// Uses the TypeScript compiler's parser (a dev dependency) so "function" means what tsc means.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');
const MAX_FILE = 300;
const MAX_FUNCTION = 80;
const MAX_LOOSE_LIB = 8;
/**
 * The entry points (the full CLI, and serve's fast path that bin/mcpctl.js requires), and the
 * modules allowed to read `process` (the CLI layer: the entries and process-io.ts; process supervision).
 */
const ENTRIES = ['src/cli.ts', 'src/serve-fast.ts'];
const PROCESS_ALLOWED = [/^src\/cli\.ts$/, /^src\/serve-fast\.ts$/, /^src\/process-io\.ts$/, /^src\/lib\/process\//];

const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

const files = walk(src).sort();
const problems = [];
const fileSizes = [];
const fnSizes = [];
const imports = new Map(); // importer -> Set of imported src files
const importedBy = new Map(); // file -> Set of importers

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  fileSizes.push({ file: rel(file), lines });
  const deps = new Set();
  const lineOf = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node) => {
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node)) {
      const n = lineOf(node.getEnd()) - lineOf(node.getStart(sf)) + 1;
      const name = node.name?.getText(sf) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : ts.isPropertyAssignment(node.parent) ? node.parent.name.getText(sf) : '(anonymous)');
      fnSizes.push({ where: `${rel(file)}:${lineOf(node.getStart(sf))}`, name, lines: n });
    }
    // Static imports, re-exports and `import('…')` all count as "imported".
    let spec;
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) spec = node.moduleSpecifier.text;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) spec = node.arguments[0].text;
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) spec = node.argument.literal.text;
    if (spec && spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      deps.add(target);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  imports.set(file, deps);
  for (const d of deps) {
    if (!importedBy.has(d)) importedBy.set(d, new Set());
    importedBy.get(d).add(file);
  }
  // process.* outside the CLI entry and process supervision (comments excluded).
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:])\/\/.*$/gm, '$1');
  noComments.split('\n').forEach((l, i) => {
    if (/\bprocess\.(?!\w+\s*:)/.test(l) && !PROCESS_ALLOWED.some((re) => re.test(rel(file)))) problems.push(`process.* read at ${rel(file)}:${i + 1}: ${l.trim()}`);
  });
}

for (const f of fileSizes) if (f.lines > MAX_FILE) problems.push(`file over ${MAX_FILE} lines: ${f.file} (${f.lines})`);
for (const f of fnSizes) if (f.lines > MAX_FUNCTION) problems.push(`function over ${MAX_FUNCTION} lines: ${f.name} at ${f.where} (${f.lines})`);

const lib = path.join(src, 'lib');
const loose = readdirSync(lib).filter((n) => n.endsWith('.ts'));
if (loose.length > MAX_LOOSE_LIB) problems.push(`${loose.length} loose files directly in src/lib (at most ${MAX_LOOSE_LIB}): ${loose.join(', ')}`);

for (const f of files) {
  if (ENTRIES.includes(rel(f))) continue;
  if (!importedBy.get(f)?.size) problems.push(`not imported by any module in src: ${rel(f)}`);
}

// A lib module that only one command uses belongs in that command's folder. A command is
// src/commands/<name>/… (or src/commands/<name>.ts); lib modules importing each other are followed.
const commandNames = readdirSync(path.join(src, 'commands')).map((n) => n.replace(/\.ts$/, ''));
/** src/commands/<name>/… or src/commands/<name>.ts, and src/core/<name>[-part].ts (longest name wins). */
const commandOf = (f) => {
  const m = /^src\/(commands|core)\/([^/]+?)(\.ts)?(\/|$)/.exec(rel(f));
  if (!m) return undefined;
  const base = m[2];
  return commandNames.filter((c) => base === c || base.startsWith(c + '-')).sort((a, b) => b.length - a.length)[0] ?? base;
};
const commandsUsing = (f) => {
  const out = new Set();
  const seen = new Set([f]);
  const queue = [f];
  while (queue.length) {
    for (const imp of importedBy.get(queue.shift()) ?? []) {
      if (seen.has(imp)) continue;
      seen.add(imp);
      const c = commandOf(imp);
      if (c) out.add(c);
      else if (rel(imp).startsWith('src/lib/')) queue.push(imp);
      else out.add(rel(imp)); // main.ts, cli.ts: shared by definition
    }
  }
  return out;
};
for (const f of files) {
  if (!rel(f).startsWith('src/lib/')) continue;
  const users = commandsUsing(f);
  // A module the CLI layer uses (command-env.ts, main.ts) serves every command, as the comment above says.
  const [only] = users;
  if (users.size === 1 && !only.startsWith('src/')) problems.push(`src/lib module used by one command only (${only}): ${rel(f)}`);
}

const top = (arr, n) => [...arr].sort((a, b) => b.lines - a.lines).slice(0, n);
console.log(`largest files:\n${top(fileSizes, 5).map((f) => `  ${String(f.lines).padStart(4)}  ${f.file}`).join('\n')}`);
console.log(`largest functions:\n${top(fnSizes, 5).map((f) => `  ${String(f.lines).padStart(4)}  ${f.name}  (${f.where})`).join('\n')}`);
console.log(`${files.length} modules in src, ${loose.length} loose in src/lib`);
if (problems.length) console.log(`\n${problems.length} problem(s):\n${problems.map((p) => '  - ' + p).join('\n')}`);
else console.log('architecture limits: all met');
if (process.argv.includes('--strict') && problems.length) process.exit(1);
