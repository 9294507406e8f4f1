// `npm run bench [-- case…]`: runs every bench/cases/*.mjs (or the named ones) against the
// old way of doing the same job, and prints medians and ratios measured in one run.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cases');
const wanted = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort();
const results = {};
for (const f of files) {
  const mod = await import(pathToFileURL(path.join(dir, f)).href);
  if (wanted.length && !wanted.includes(mod.name)) continue;
  results[mod.name] = await mod.run();
}
console.log('\n' + JSON.stringify(results, null, 2));
