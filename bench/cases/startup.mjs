// `mcpctl --version` and `--help` against bare `node -e 0`: the start-up cost of the CLI.
// `--version` and the top-level `--help` are answered by bin/mcpctl.js itself (the help page the
// build rendered); a command's help page (`verify-db --help`) goes through commander, shown for
// comparison.
import { BIN, compareMedians, fmt, printTable } from '../lib.mjs';

export const name = 'startup';

export async function run() {
  const node = process.execPath;
  const [bare, version, help, cmdHelp] = compareMedians(
    [
      { label: 'node -e 0', cmd: node, args: ['-e', '0'] },
      { label: 'mcpctl --version', cmd: node, args: [BIN, '--version'] },
      { label: 'mcpctl --help', cmd: node, args: [BIN, '--help'] },
      { label: 'mcpctl verify-db --help', cmd: node, args: [BIN, 'verify-db', '--help'] },
    ],
    { runs: 21, warmup: 3 },
  );
  const ratio = (x) => x.median / bare.median;
  printTable('start-up (median of 21)', [
    [bare.label, fmt(bare.median)],
    [version.label, `${fmt(version.median)}  (${ratio(version).toFixed(2)}× node -e 0; goal ≤ 1.15×)`],
    [help.label, `${fmt(help.median)}  (${ratio(help).toFixed(2)}× node -e 0; goal ≤ 1.3×)`],
    [cmdHelp.label, `${fmt(cmdHelp.median)}  (${ratio(cmdHelp).toFixed(2)}× node -e 0; commander renders it)`],
  ]);
  return { nodeMs: bare.median, versionMs: version.median, helpMs: help.median, commandHelpMs: cmdHelp.median, versionRatio: ratio(version), helpRatio: ratio(help), commandHelpRatio: ratio(cmdHelp) };
}
