/**
 * Readers of the files a GitHub Actions step writes, following GitHub's documented rules
 * ("Workflow commands for GitHub Actions", environment files) — independent of mcpctl's writer.
 */

/**
 * Parses a $GITHUB_ENV file: each non-empty line is `NAME=value` (split at the first `=`), or
 * `NAME<<DELIMITER` followed by the value's lines up to a line that is exactly DELIMITER (the
 * value's lines joined with `\n`). A later assignment of a name wins. Throws on a malformed file.
 */
export function parseGitHubEnvFile(text: string): Map<string, string> {
  const lines = text.split(/\r?\n/);
  const out = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!name || !delimiter) throw new Error(`line ${i + 1}: invalid heredoc header ${JSON.stringify(line)}`);
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`line ${i}: delimiter ${delimiter} never closes ${name}`);
      out.set(name, value.join('\n'));
    } else if (eq > 0) {
      out.set(line.slice(0, eq), line.slice(eq + 1));
    } else {
      throw new Error(`line ${i + 1}: neither NAME=value nor NAME<<DELIMITER: ${JSON.stringify(line)}`);
    }
  }
  return out;
}

/**
 * The GitHub Flavored Markdown tables in a step summary: a header row, a delimiter row of
 * `---` cells, then body rows; cells split at unescaped `|`, `\|` read as `|`.
 */
export function parseMarkdownTables(md: string): { head: string[]; rows: string[][] }[] {
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|').replace(/\\\\/g, '\\'));
  const lines = md.split('\n');
  const tables: { head: string[]; rows: string[][] }[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\|(\s*:?-{3,}:?\s*\|)+$/.test(lines[i + 1]!.trim())) continue;
    const head = cells(lines[i]!);
    const rows: string[][] = [];
    for (i += 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) rows.push(cells(lines[i]!));
    tables.push({ head, rows });
  }
  return tables;
}
