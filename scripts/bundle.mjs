// `npm run build`, second half: bundles src/cli.ts and everything it imports (dependencies
// included) into dist/bundle/ with esbuild — one file for the entry and one chunk per lazily
// imported part, so `mcpctl --help` loads a few files instead of hundreds. Measured in
// `npm run bench` (startup, serve, rollback). bin/mcpctl.js runs dist/bundle/cli.js.
// The chunks sit beside cli.js, so `new URL('../../package.json', import.meta.url)` finds the
// package root from every one of them, as it does from dist/lib/ and src/lib/.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

/** What both builds share: Node 20, dependencies bundled, maps with their sources. */
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Maps carry their sources (sourcesContent), so they mean something without src/.
  sourcemap: 'linked',
  sourcesContent: true,
  // A package's ES module build before its CommonJS/UMD one (jsonc-parser's UMD build requires
  // its own files at run time, which a bundle cannot follow).
  mainFields: ['module', 'main'],
  // pg's optional native binding is loaded in a try/catch; it is never bundled.
  external: ['pg-native'],
  legalComments: 'none',
  metafile: true,
  plugins: [nodeOnlyPg(), nodeCryptoScram()],
  logLevel: 'warning',
};

const result = await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outdir,
  splitting: true,
  format: 'esm',
  chunkNames: 'chunk-[hash]',
  // CommonJS dependencies (pg, prompts) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __mcpctlCreateRequire } from 'node:module'; const require = __mcpctlCreateRequire(import.meta.url);" },
});

// serve's fast path (src/serve-fast.ts): one CommonJS file that bin/mcpctl.js requires, so that
// `mcpctl serve` loads neither commander nor the ES module loader's thirty-odd chunks (measured in
// `npm run bench -- serve`; docs/serve.md, Start-up). Its lazy imports stay lazy: esbuild turns
// them into calls that evaluate the bundled module when first reached.
const serveResult = await build({
  ...common,
  entryPoints: { serve: 'src/serve-fast.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  plugins: [...common.plugins, builtinsByRequire(), noPrompts()],
  // package-version.ts and package-root.ts find the package from import.meta.url.
  define: { 'import.meta.url': '__mcpctlMetaUrl' },
  banner: { js: "const __mcpctlMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
if (Object.keys(serveResult.metafile.inputs).some((f) => f.includes('node_modules/commander/'))) throw new Error('bundle: serve.cjs includes commander (the fast path must not load it)');
if (/[^\w$.]import\(/.test(readFileSync(path.join(outdir, 'serve.cjs'), 'utf8'))) throw new Error('bundle: serve.cjs keeps a dynamic import() (it would start the ES module loader)');

/**
 * pg decides at load time whether it runs in a Cloudflare Worker; on Node 20 (no `navigator`) it
 * finds out by constructing a `Response`, which loads Node's whole fetch implementation (undici):
 * about 40 ms of every command that talks to PostgreSQL (measured in `npm run bench`, serve).
 * mcpctl runs on Node only, so the bundle answers "no" without asking. The build fails if pg's file
 * no longer has that function, rather than silently keeping the cost.
 */
function nodeOnlyPg() {
  return {
    name: 'node-only-pg',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        const patched = text.replace(/function isCloudflareRuntime\(\) \{/, 'function isCloudflareRuntime() {\n  return false;');
        if (patched === text) throw new Error(`bundle: ${args.path} has no isCloudflareRuntime() to answer`);
        return { contents: patched, loader: 'js' };
      });
    },
  };
}

/**
 * In a CommonJS bundle esbuild keeps `await import('node:child_process')` as a real dynamic import,
 * and the first one starts Node's whole ES module loader (fifteen-odd internal modules) — the very
 * cost serve.cjs exists to avoid. This plugin turns a dynamic import of a Node built-in into a
 * bundled module that require()s it: the same module object, loaded synchronously.
 */
function builtinsByRequire() {
  return {
    name: 'builtins-by-require',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtin-require' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
}

/**
 * serve never asks a question (an MCP client owns its stdin), yet the CommandEnv every command
 * gets carries a prompter, whose `prompts` package is a quarter of serve.cjs. In serve.cjs that
 * package is a module that fails if it is ever loaded, so serve does not parse it at start-up.
 */
function noPrompts() {
  return {
    name: 'no-prompts',
    setup(b) {
      b.onResolve({ filter: /^prompts$/ }, () => ({ path: 'prompts', namespace: 'no-prompts' }));
      b.onLoad({ filter: /.*/, namespace: 'no-prompts' }, () => ({ contents: "throw new Error('serve asks no questions: the prompts package is not in serve.cjs');", loader: 'js' }));
    },
  };
}

/**
 * pg's SCRAM login computes its proof with Web Crypto (crypto.subtle): on Node 20 that loads
 * Node's webcrypto implementation and runs each step (PBKDF2, three HMACs, a digest) as a
 * thread-pool job — measured as a visible part of serve's login (`npm run bench -- serve`). The
 * bundle gives pg the same functions on node:crypto's synchronous primitives (what pg itself used
 * before 8.12). The build fails if pg's module no longer exports exactly these functions.
 */
function nodeCryptoScram() {
  const exported = ['postgresMd5PasswordHash', 'randomBytes', 'deriveKey', 'sha256', 'hashByName', 'hmacSha256', 'md5'];
  return {
    name: 'node-crypto-scram',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]crypto[\\/]utils\.js$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        const m = /module\.exports = \{([^}]*)\}/.exec(text);
        const names = m ? m[1].split(',').map((x) => x.trim()).filter(Boolean).sort() : [];
        if (names.join() !== [...exported].sort().join()) throw new Error(`bundle: ${args.path} exports ${names.join(', ')}, not the functions node-crypto-scram replaces`);
        return { contents: nodeCryptoUtils(), loader: 'js' };
      });
    },
  };
}

/** The replacement module (a function: the builds above run before this line is reached). */
function nodeCryptoUtils() {
  return `'use strict';
const nodeCrypto = require('crypto');
// Web Crypto's algorithm names ('SHA-256') as OpenSSL's ('sha256').
const digestName = (name) => String(name).replace('-', '').toLowerCase();
const md5 = async (string) => nodeCrypto.createHash('md5').update(string, 'utf-8').digest('hex');
module.exports = {
  randomBytes: (length) => nodeCrypto.randomBytes(length),
  md5,
  postgresMd5PasswordHash: async (user, password, salt) => 'md5' + (await md5(Buffer.concat([Buffer.from(await md5(password + user)), salt]))),
  sha256: async (text) => nodeCrypto.createHash('sha256').update(Buffer.from(text)).digest(),
  hashByName: async (hashName, text) => nodeCrypto.createHash(digestName(hashName)).update(Buffer.from(text)).digest(),
  hmacSha256: async (keyBuffer, msg) => nodeCrypto.createHmac('sha256', Buffer.from(keyBuffer)).update(msg).digest(),
  deriveKey: async (password, salt, iterations) => nodeCrypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256'),
};
`;
}

// The licences of the bundled packages travel with them (their notices are required by MIT/ISC).
const packages = new Map();
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(serveResult.metafile.inputs)]) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m && !packages.has(m[1])) packages.set(m[1], path.join(root, m[1]));
}
const notices = [...packages.values()]
  .map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
    return `${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}\n`;
  })
  .sort();
writeFileSync(path.join(outdir, 'THIRD-PARTY-NOTICES.txt'), `mcpctl bundles these packages:\n\n${notices.join('\n' + '-'.repeat(72) + '\n\n')}`);
if (!existsSync(path.join(outdir, 'cli.js'))) throw new Error('bundle: dist/bundle/cli.js was not written');

// The top-level help page, rendered by the CLI itself as commander prints it when stdout is not a
// terminal (80 columns): bin/mcpctl.js prints it for `--help` without loading commander. A clean
// environment, so nothing of the build machine's (GITHUB_ACTIONS, colours) can change it.
const help = spawnSync(process.execPath, [path.join(outdir, 'cli.js'), '--help'], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: root }, encoding: 'utf8' });
if (help.status !== 0 || !help.stdout.includes('Usage: mcpctl')) throw new Error(`bundle: the CLI's --help failed (exit ${help.status}): ${help.stderr}`);
writeFileSync(path.join(outdir, 'help-80.txt'), help.stdout);
