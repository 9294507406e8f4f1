// `mcpctl --version` and `--help` against bare `node -e 0`: the start-up cost of the CLI.
import { BIN, compareMedians, fmt, printTable } from '../lib.mjs';

export const name = 'startup';

export async function run() {
  const node = process.execPath;
  const [bare, version, help] = compareMedians(
    [
      { label: 'node -e 0', cmd: node, args: ['-e', '0'] },
      { label: 'mcpctl --version', cmd: node, args: [BIN, '--version'] },
      { label: 'mcpctl --help', cmd: node, args: [BIN, '--help'] },
    ],
    { runs: 21, warmup: 3 },
  );
  printTable('start-up (median of 21)', [
    [bare.label, fmt(bare.median)],
    [version.label, `${fmt(version.median)}  (${(version.median / bare.median).toFixed(2)}× node -e 0; goal ≤ 1.5×)`],
    [help.label, `${fmt(help.median)}  (${(help.median / bare.median).toFixed(2)}× node -e 0; goal ≤ 1.5×)`],
  ]);
  return { versionRatio: version.median / bare.median, helpRatio: help.median / bare.median };
}
