/** A parsed dotted version. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  raw: string;
}

/** Finds the first dotted version number in `text` (e.g. "psql (PostgreSQL) 15.19 (Debian…)"). */
export function parseVersion(text: string): Version | undefined {
  const m = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), raw: m[0] };
}

export function compareVersions(a: Pick<Version, 'major' | 'minor' | 'patch'>, b: Pick<Version, 'major' | 'minor' | 'patch'>): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** PostgreSQL's server_version_num (e.g. 150019) → major version (15). */
export function pgMajorFromNum(num: number): number {
  return num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100;
}
