/**
 * What a team switching from gitleaks keeps: its inline `gitleaks:allow` comments and its
 * `.gitleaksignore` (one finding per line: `commit:path:rule:line` from git scans, `path:rule:line`
 * from directory scans). gitleaks' rule ids are not leakguard's, so an entry accepts whatever
 * leakguard finds at that place (path and line, and the commit when both know it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../types.js';

export const GITLEAKS_INLINE_ALLOW = 'gitleaks:allow';
export const GITLEAKS_IGNORE_FILE = '.gitleaksignore';

/** A line carries leakguard's or gitleaks' inline allow comment. */
export function inlineAllowed(lineText: string, own: string): boolean {
  return lineText.includes(own) || lineText.includes(GITLEAKS_INLINE_ALLOW);
}

interface IgnoreEntry {
  commit?: string;
  path: string;
  line: number;
}

/** The entries of a .gitleaksignore text; comments, blank and malformed lines are skipped. */
export function parseGitleaksIgnore(text: string): IgnoreEntry[] {
  const out: IgnoreEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    // path may itself hold ':'; the rule id and line number never do, and a commit is hex
    const m = /^(?:([0-9a-f]{7,64}):)?(.+):([^:]+):(\d+)$/.exec(line);
    if (!m) continue;
    out.push({ commit: m[1], path: m[2]!, line: Number(m[4]) });
  }
  return out;
}

export class GitleaksIgnore {
  private readonly byPlace = new Map<string, IgnoreEntry[]>();

  constructor(entries: IgnoreEntry[]) {
    for (const e of entries) {
      const key = `${e.path}\0${e.line}`;
      const list = this.byPlace.get(key) ?? [];
      list.push(e);
      this.byPlace.set(key, list);
    }
  }

  get size(): number {
    return this.byPlace.size;
  }

  /** The repository's .gitleaksignore, if it has one. */
  static load(root: string): GitleaksIgnore | undefined {
    let text: string;
    try {
      text = readFileSync(join(root, GITLEAKS_IGNORE_FILE), 'utf8');
    } catch {
      return undefined;
    }
    const ignore = new GitleaksIgnore(parseGitleaksIgnore(text));
    return ignore.size ? ignore : undefined;
  }

  ignores(f: Pick<Finding, 'path' | 'line' | 'commit'>): boolean {
    if (f.line === undefined) return false;
    const entries = this.byPlace.get(`${f.path}\0${f.line}`);
    return Boolean(
      entries?.some((e) => !e.commit || !f.commit || f.commit.startsWith(e.commit) || e.commit.startsWith(f.commit)),
    );
  }

  /** The findings it does not accept, and how many it did (counted with the baseline's). */
  filter(findings: Finding[]): { kept: Finding[]; dropped: number } {
    const kept = findings.filter((f) => !this.ignores(f));
    return { kept, dropped: findings.length - kept.length };
  }
}
