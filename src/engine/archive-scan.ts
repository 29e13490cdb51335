/**
 * Archives as texts of their own: each member of a zip, tar or gzip blob (nested ones included)
 * goes through the same path, size and content rules as a file, and what the archive reader could
 * not read becomes an `archive-incomplete` finding, so a reached limit is never an all-clear.
 *
 * What a member's findings depend on is decided here, from the blob's bytes alone (rules' globs
 * see the member's path inside the archive, with nested archives read as folders), so one verdict
 * holds wherever the blob sits; the findings stage then names each member after the place the
 * archive appears at (`dist/app.zip!config/.env`).
 */
import {
  archiveMagic,
  readArchive,
  type ArchiveMagic,
  type ArchiveProblem,
  type ReadLimits,
} from '../sources/archive.js';
import type { BlobMatch } from './blob-scan.js';
import { compileRule, type CompiledRule, type Ruleset } from './compile.js';
import { detectPath } from './detect.js';

export type { ArchiveMagic, ArchiveProblem, ReadLimits };
export { archiveMagic };

/** A member that carries something: path or size rules that fire on it, or content matches. */
export interface ArchiveMember {
  /** The member's chain inside the archive: `config/.env`, or `inner.tar!config/.env` when nested. */
  path: string;
  size: number;
  /** Ids of the path and size rules that fire on it. */
  pathRules: string[];
  /** Offsets and lines are the member's own text. */
  matches: BlobMatch[];
}

/** What an archive blob carries: only members with something to report, and every problem. */
export interface ArchiveFindings {
  members: ArchiveMember[];
  problems: ArchiveProblem[];
}

export const ARCHIVE_INCOMPLETE = 'archive-incomplete';

let incompleteRule: CompiledRule | undefined;
/**
 * The rule an unreadable part of an archive is reported under. It is made by the engine, not
 * matched: it sits in no rule file and fires only on what the archive reader reports.
 */
export function archiveIncompleteRule(): CompiledRule {
  return (incompleteRule ??= compileRule({
    id: ARCHIVE_INCOMPLETE,
    description: 'Archive not fully scanned',
    severity: 'medium',
    confidence: 'medium',
    paths: ['**'],
    tags: ['archive'],
    rotate:
      'Nothing to rotate yet: what it holds was not read. Look inside it; to accept it, baseline the finding, or allowlist the archive (it is then not scanned at all).',
    builtin: true,
  }));
}

/** How rules' globs see a member: its chain with each nested archive read as a folder. */
export function memberRulePath(member: string): string {
  return member.includes('!') ? member.split('!').join('/') : member;
}

/**
 * Reads the archive in `buf` (of kind `magic`, see `archiveMagic`: a few byte comparisons, so
 * every file can be asked) and runs the rules over its members. `scanText` is the blob scanner's
 * own content matching (binary members give undefined). Undefined when nothing in it is worth
 * reporting: the archive is then as clean as a text without matches, and a cache may say so.
 */
export function scanArchive(
  ruleset: Ruleset,
  buf: Buffer,
  magic: ArchiveMagic,
  limits: ReadLimits,
  scanText: (data: Buffer) => BlobMatch[] | undefined,
  nameHint?: string,
): ArchiveFindings | undefined {
  const members: ArchiveMember[] = [];
  const problems = readArchive(
    buf,
    magic,
    limits,
    (m) => {
      const pathRules = ruleset.pathRules.length
        ? detectPath(ruleset, memberRulePath(m.path), m.data.length).map((r) => r.rule.id)
        : [];
      const matches = m.container || !ruleset.contentRules.length ? undefined : scanText(m.data);
      if (pathRules.length || matches?.length)
        members.push({ path: m.path, size: m.data.length, pathRules, matches: matches ?? [] });
    },
    nameHint,
  );
  return members.length || problems.length ? { members, problems } : undefined;
}
