/**
 * `.gitignore` entries that would have prevented each finding: folders as folders, secret files by
 * precise patterns (with `!` exceptions for templates), weight files by extension, and large data
 * files by their exact paths (a size cannot be said in `.gitignore`, so a small file of the same
 * kind stays committable). Existing lines, comments and line endings are kept; leakguard's entries
 * live in one marked block, and running it twice changes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { Finding } from '../types.js';
import type { Ruleset } from '../engine/compile.js';
import { archivesOf, filePathsOf } from './plan.js';
import { git, splitNul } from '../sources/git.js';

export const BLOCK_START =
  '# >>> leakguard: keeps secrets and artifacts out of git (maintained by `leakguard gitignore`)';
export const BLOCK_END = '# <<< leakguard';

/** `ignore` refuses some paths git allows (a trailing space, a newline): those are not ignored. */
function ignores(ig: Ignore, path: string): boolean {
  try {
    return ig.ignores(path);
  } catch {
    return false;
  }
}

export interface IgnoreEntry {
  pattern: string;
  reason: string;
  paths: string[];
}

/** Escapes a path so .gitignore reads it literally. */
export function escapeIgnore(path: string): string {
  let p = path.replace(/[\\*?[\]]/g, '\\$&');
  if (/^[#!]/.test(p)) p = `\\${p}`;
  if (/ $/.test(p)) p = `${p.slice(0, -1)}\\ `;
  return p;
}

/** gitignore patterns for one rule glob: `**\u002Fx/**` -> `x/`, `**\u002Fx` -> `x`, `**\u002F*.pt` -> `*.pt`. */
function ignoreFromGlob(glob: string): string | undefined {
  let m = /^\*\*\/([^*?[\]{}!]+)\/\*\*$/.exec(glob);
  if (m) return `${m[1]}/`;
  m = /^\*\*\/([^/]+)$/.exec(glob);
  if (m) return m[1];
  if (/^\*\*\/[^*?[\]{}!]+(\/[^/]+)$/.test(glob)) return glob;
  return undefined;
}

/** The entries the findings call for, before checking what the current rules already cover. */
export function entriesFor(findings: Finding[], ruleset: Ruleset): IgnoreEntry[] {
  const entries = new Map<string, IgnoreEntry>();
  const add = (pattern: string, reason: string, path: string) => {
    const e = entries.get(pattern) ?? { pattern, reason, paths: [] };
    if (!e.paths.includes(path)) e.paths.push(path);
    entries.set(pattern, e);
  };
  const byId = new Map(ruleset.rules.map((r) => [r.id, r]));
  const holders = ruleset.rules.filter((r) => r.spec.ignore_when_found && r.matchPath);
  for (const f of findings) {
    // a finding inside an archive: the archive is what must not be committed again
    for (const a of archivesOf(f)) add(`/${escapeIgnore(a)}`, `${f.ruleId}: inside this archive`, a);
    const rule = byId.get(f.ruleId);
    if (!rule) continue;
    const paths = filePathsOf(f);
    if (f.kind === 'size') {
      for (const p of paths) add(`/${escapeIgnore(p)}`, `${rule.id}: large file`, p);
      continue;
    }
    if (f.kind === 'content') {
      // a secret inside a file that must be kept is purge's job, unless the file is local state
      // that only became a finding because it holds one (an assistant's settings with a key)
      for (const p of paths) {
        const holder = holders.find((h) => h.matchPath!(p));
        if (holder) addForPath(holder, p, `${holder.id}: holds ${f.ruleId}`);
      }
      continue;
    }
    if (f.kind !== 'path') continue;
    for (const p of paths) addForPath(rule, p, rule.id);
  }
  // exceptions must follow the patterns they carve out of
  return [...entries.values()].sort((a, b) => Number(a.pattern.startsWith('!')) - Number(b.pattern.startsWith('!')));

  function addForPath(rule: Ruleset['rules'][number], p: string, reason: string): void {
    let matched = false;
    for (const g of rule.spec.paths ?? []) {
      const pattern = ignoreFromGlob(g);
      if (!pattern || !ignores(ignore().add(pattern), p)) continue;
      matched = true;
      add(pattern, reason, p);
      // a broad pattern must not hide the templates the rule itself allows (.env.example)
      for (const ex of rule.spec.exclude_paths ?? []) {
        const neg = ignoreFromGlob(ex);
        if (neg && !neg.endsWith('/') && ignores(ignore().add(pattern), neg))
          add(`!${neg}`, `${rule.id}: template stays committable`, p);
      }
    }
    if (!matched) add(`/${escapeIgnore(p)}`, reason, p);
  }
}

/** The ignore rules in force now: .git/info/exclude, the root .gitignore and nested ones. */
export async function currentIgnores(root: string, gitDir: string): Promise<(path: string) => boolean> {
  const levels: { dir: string; ig: Ignore }[] = [];
  const load = (file: string, dir: string) => {
    if (existsSync(file)) levels.push({ dir, ig: ignore().add(readFileSync(file, 'utf8')) });
  };
  load(join(gitDir, 'info', 'exclude'), '');
  const files = splitNul(
    await git(
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.gitignore', '**/.gitignore'],
      root,
    ),
  )
    .map((b) => b.toString('utf8'))
    .sort((a, b) => a.length - b.length);
  for (const f of files) load(join(root, f), f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '');
  return (path: string) => {
    let ignored = false;
    for (const l of levels) {
      if (!path.startsWith(l.dir)) continue;
      let r: { ignored: boolean; unignored: boolean };
      try {
        r = l.ig.test(path.slice(l.dir.length));
      } catch {
        continue;
      }
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  };
}

export interface GitignorePatch {
  file: string;
  /** Entries to add (missing from the current rules). */
  missing: IgnoreEntry[];
  /** The file's new text, or undefined when nothing changes. */
  text?: string;
  /** Tracked files the new entries cover: they stay tracked until untracked. */
  tracked: string[];
}

/** Adds `entries` to the marked block of `original`, keeping everything else byte for byte. */
export function patchText(original: string, entries: string[]): string {
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const lines = original.split(/\r?\n/);
  const start = lines.indexOf(BLOCK_START);
  const end = start === -1 ? -1 : lines.indexOf(BLOCK_END, start);
  if (start !== -1 && end !== -1) {
    const existing = lines.slice(start + 1, end);
    const merged = [...existing, ...entries.filter((e) => !existing.includes(e))];
    // negations last, so they carve out of every pattern before them
    const ordered = [...merged.filter((e) => !e.startsWith('!')), ...merged.filter((e) => e.startsWith('!'))];
    return [...lines.slice(0, start + 1), ...ordered, ...lines.slice(end)].join(eol);
  }
  let head = original;
  if (head.length && !head.endsWith('\n')) head += eol;
  if (head.length && !/(\r?\n){2}$/.test(head)) head += eol;
  return `${head}${[BLOCK_START, ...entries, BLOCK_END].join(eol)}${eol}`;
}

export async function planGitignore(
  root: string,
  gitDir: string,
  findings: Finding[],
  ruleset: Ruleset,
): Promise<GitignorePatch> {
  const file = join(root, '.gitignore');
  const isIgnored = await currentIgnores(root, gitDir);
  const files = splitNul(await git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root)).map((b) =>
    b.toString('utf8'),
  );
  // an exception is needed only where a template it protects is actually there
  const candidates = entriesFor(findings, ruleset).filter((e) => {
    if (!e.pattern.startsWith('!')) return true;
    const ig = ignore().add(e.pattern.slice(1));
    return files.some((f) => ignores(ig, f));
  });
  // An entry is missing when some path it is for is ignored neither today nor by a broader entry
  // chosen before it: folders first, so `.gemini/` makes `oauth_creds.json` under it unnecessary.
  const chosen = ignore();
  const missing: IgnoreEntry[] = [];
  const ordered = [
    ...candidates.filter((e) => e.pattern.endsWith('/')),
    ...candidates.filter((e) => !e.pattern.endsWith('/') && !e.pattern.startsWith('!')),
  ];
  for (const e of ordered) {
    if (e.paths.some((p) => !isIgnored(p) && !ignores(chosen, p))) {
      missing.push(e);
      chosen.add(e.pattern);
    }
  }
  for (const e of candidates.filter((c) => c.pattern.startsWith('!'))) {
    if (missing.some((m) => e.paths.some((p) => m.paths.includes(p)))) missing.push(e);
  }
  const original = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const text = missing.length
    ? patchText(
        original,
        missing.map((e) => e.pattern),
      )
    : undefined;
  const finalText = text ?? original;
  const finalIg = ignore().add(finalText);
  // tracked files that leakguard's block covers (this run's entries and earlier ones)
  const blockLines = finalText.split(/\r?\n/);
  const from = blockLines.indexOf(BLOCK_START);
  const to = from === -1 ? -1 : blockLines.indexOf(BLOCK_END, from);
  const blockIg = ignore().add(from === -1 || to === -1 ? [] : blockLines.slice(from + 1, to));
  const tracked = splitNul(await git(['ls-files', '-z', '--cached'], root))
    .map((b) => b.toString('utf8'))
    .filter((p) => ignores(blockIg, p) && ignores(finalIg, p));
  return { file, missing, text: text !== original ? text : undefined, tracked };
}

export function writePatch(patch: GitignorePatch): void {
  if (patch.text !== undefined) writeFileSync(patch.file, patch.text);
}
