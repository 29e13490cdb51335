/** Shared data shapes. Data flows one way: sources -> engine -> findings -> report / remedy. */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export type FindingKind = 'path' | 'size' | 'content';

/**
 * Where a finding's text lives: a file version (the default when absent), or one of the texts git
 * keeps outside trees: a commit's message, an annotated tag's message, a git note.
 */
export type TextSource = 'file' | 'commit-message' | 'tag-message' | 'note';

/** How sure a rule is that a match is a live credential: a checksum-valid token is high, a generic assignment low. */
export type Confidence = 'high' | 'medium' | 'low';
export const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];

/** The `path` a message finding carries: messages have no path; these labels stand in for one. */
export const MESSAGE_PATHS: Record<Exclude<TextSource, 'file'>, string> = {
  'commit-message': '(commit message)',
  'tag-message': '(tag message)',
  note: '(note)',
};

/** One thing a source can hand to the engine: a file version, nothing else. */
export interface SourceItem {
  /** Repository-relative path with `/` separators, decoded for display (invalid UTF-8 becomes U+FFFD). */
  path: string;
  /** Git object id of the content, when the source knows it (index and history do; the work tree does not). */
  blobId?: string;
  /** Size in bytes, from git metadata or stat — known before any content is read. */
  size: number;
  /** Commit that holds this version (history sources only). */
  commit?: string;
  /** Reads the whole content. Only called for items at most `maxContentBytes` long. */
  read(): Promise<Buffer>;
}

/** Why content was not scanned. Path and size rules still ran on every one of these. */
export type SkipReason = 'binary' | 'too-large' | 'submodule' | 'missing' | 'unreadable' | 'timeout' | 'allowlisted';

export interface Finding {
  ruleId: string;
  kind: FindingKind;
  path: string;
  line?: number;
  column?: number;
  /** The matched secret; redacted before it reaches any report unless redaction is turned off. */
  secret?: string;
  /** Stable across edits, rebases and squashes: rule + path + hash of the secret. */
  fingerprint: string;
  description: string;
  severity: Severity;
  /** Size in bytes, for size findings. */
  size?: number;
  blobId?: string;
  /** History findings: the commit that first introduced it, and who and when. */
  commit?: string;
  author?: string;
  date?: string;
  subject?: string;
  /** Every {commit, path} where the same secret or sensitive path appears (history). */
  occurrences?: Occurrence[];
  /** Refs from which it is reachable (history; at most 50, see refsTotal). */
  refs?: string[];
  refsTotal?: number;
  /** The file is a Git LFS pointer: the object itself lives in LFS storage and was not scanned. */
  lfs?: boolean;
  /** Absent for files. For messages, `commit` is the commit carrying the message (for a note: the annotated commit). */
  source?: TextSource;
  /** tag-message: the annotated tag's ref (`refs/tags/v1`); note: the notes ref (`refs/notes/commits`). */
  ref?: string;
  confidence?: Confidence;
  /**
   * Set when the finding is inside an archive: the member's path inside it (`config/.env`, nested
   * `inner.tar!config/.env`). `path` is then `<archive path>!<member>`; see `archivePathOf`.
   */
  member?: string;
}

/** Where a history finding occurs; `fingerprint` is what a baseline records for that path. */
export interface Occurrence {
  commit?: string;
  path: string;
  /** The blob (or, for a message, the commit or tag object); absent in the work tree, which has no ids. */
  blobId?: string;
  fingerprint: string;
  /** As on Finding: absent for files. */
  source?: TextSource;
  ref?: string;
  /** As on Finding: the path inside the archive, for an archive member. */
  member?: string;
}

/** The repository file a finding or occurrence is in: for an archive member, the archive's own path. */
export function archivePathOf(at: { path: string; member?: string }): string {
  return at.member !== undefined && at.path.endsWith(`!${at.member}`)
    ? at.path.slice(0, at.path.length - at.member.length - 1)
    : at.path;
}

export interface ScanStats {
  /** Files (or blobs) seen by the engine. */
  files: number;
  /** Files whose content went through content rules. */
  contentScanned: number;
  bytesScanned: number;
  /** Content not scanned, by reason; path and size rules still applied. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Findings dropped, by the mechanism that dropped them. */
  suppressed: { allowlist: number; inline: number; baseline: number; confidence?: number };
  rules: number;
  durationMs: number;
  /** History scans: commits walked, unique blobs, text chunks scanned and reused. */
  commits?: number;
  blobs?: number;
  chunks?: number;
  chunksReused?: number;
  /** Up to a few example paths per skip reason, so a report can say which files were passed over. */
  skippedExamples: Partial<Record<SkipReason, string[]>>;
  warnings: string[];
}

export interface ScanReport {
  findings: Finding[];
  stats: ScanStats;
  /** What was scanned, for the report header. */
  target: { mode: 'worktree' | 'staged' | 'history' | 'range'; root: string; range?: string };
  redacted: boolean;
}
