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

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // Maps carry their sources (sourcesContent), so they mean something without src/.
  sourcemap: 'linked',
  sourcesContent: true,
  // A package's ES module build before its CommonJS/UMD one (jsonc-parser's UMD build requires
  // its own files at run time, which a bundle cannot follow).
  mainFields: ['module', 'main'],
  // pg's optional native binding is loaded in a try/catch; it is never bundled.
  external: ['pg-native'],
  // CommonJS dependencies (pg, prompts) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __mcpctlCreateRequire } from 'node:module'; const require = __mcpctlCreateRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  plugins: [nodeOnlyPg()],
  logLevel: 'warning',
});

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

// The licences of the bundled packages travel with them (their notices are required by MIT/ISC).
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
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
