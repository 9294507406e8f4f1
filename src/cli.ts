// The entry of the full CLI (bin/mcpctl.js imports the bundled build): it builds the outside world
// from `process` (process-io.ts) and hands it to main().
import { packageVersion } from './lib/package-version.js';
import { guardStreams, runWithProcess } from './process-io.js';

const argv = process.argv.slice(2);

guardStreams();

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Scripts and CI ask for the version on every run: answer without loading commander.
  process.stdout.write(packageVersion() + '\n');
} else {
  const { main } = await import('./main.js');
  await runWithProcess(argv, main);
}
