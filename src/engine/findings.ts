/**
 * The findings stage, one for every mode: the work tree, the index, history (either reader) and
 * ranges, files and messages alike. Sources say where a text appears; matching says what a text
 * holds, independently of where it appears; this stage decides, for each place, what is a finding,
 * in one fixed order:
 *
 *   scope -> (rule match, already done) -> overlaps -> allowlists -> inline -> baseline -> group
 *   -> attribute -> fingerprint -> sort; redaction follows in `redactReport`.
 *
 * - scope: a content rule scoped to paths applies only at places under those paths; messages have
 *   no path, so scoped rules never apply to them.
 * - overlaps: where two in-scope rules claim the same text the more specific wins; only after
 *   scope, or a scoped rule that does not apply would take the text from one that does.
 * - allowlists: the global allowlist's paths (the place is not scanned at all, and the caller counts
 *   it as skipped), its regexes and stopwords, and a rule's own allowlisted paths.
 * - inline: a `leakguard:allow` comment on the line. - baseline: the place's fingerprint.
 * Suppression counts are of distinct fingerprints (rule, path, secret), so a secret at one place
 * counts once however many commits carry it.
 * - group: a content finding is one secret of one rule wherever it appears; a path or size finding
 *   is one rule at one path. Every place becomes an occurrence.
 */
import type {
  Confidence,
  Finding,
  FindingKind,
  Occurrence,
  ScanReport,
  ScanStats,
  Severity,
  TextSource,
} from '../types.js';
import { allowedValue, type CompiledRule, type Ruleset } from './compile.js';
import { resolveOverlaps } from './detect.js';
import type { BlobMatch } from './blob-scan.js';
import { fingerprint, redact } from './fingerprint.js';
import { collectGarbage } from './heap.js';
import { archiveIncompleteRule, memberRulePath, type ArchiveFindings } from './archive-scan.js';

/** Where a text appears. */
export interface Place {
  /** The commit carrying it, as an attribution index; -1 where there is none (work tree, index, dangling blobs). */
  commit: number;
  /** Repository path; for a message, its label (`MESSAGE_PATHS`). */
  path: string;
  /** The blob id ('' in the work tree, which has none); for a message, the id of the object whose text it is. */
  blob: string;
  /** Absent for files. */
  source?: Exclude<TextSource, 'file'>;
  ref?: string;
  /** The path is not known (a blob no commit holds): path-scoped rules are given the benefit of the doubt. */
  anyPath?: boolean;
  /** An archive member: its chain inside the archive, the end of `path` after the archive's own path and `!`. */
  member?: string;
}

/** The path rules' globs test: a member's path inside its archive (see `memberRulePath`), else the place's path. */
function rulePathOf(place: Place): string {
  return place.member !== undefined ? memberRulePath(place.member) : place.path;
}

interface Occ extends Place {
  line?: number;
  column?: number;
  size?: number;
}

/** Severity and confidence are the rule's, or lower where the match said so (a password for a local host). */
interface Group {
  rule: CompiledRule;
  kind: FindingKind;
  secret?: string;
  description: string;
  severity: Severity;
  confidence: Confidence;
  occ: Occ[];
}

/** What history adds to a finding: the commits, in order, and the refs that reach them. */
export interface Attribution {
  /** Sorts occurrences oldest first, so the first is the commit that introduced the finding. */
  order(occ: Place[]): void;
  /** Author, date and subject of the commits findings name first (read from git only for those). */
  describe(commits: number[]): Promise<void>;
  commit(index: number): { oid: string; author?: string; date?: string; subject?: string } | undefined;
  refsReaching(commits: number[]): string[];
}

const MAX_REFS_LISTED = 50;
/** Findings made between two collections, when there are this many or more (see `collectGarbage`). */
const COLLECT_EVERY = 262_144;

export interface StageOptions {
  baseline?: Set<string>;
  /** Places whose text is a Git LFS pointer: an artifact rule does not fire on a pointer to an artifact. */
  isLfs?: (place: Place) => boolean;
}

export class FindingsStage {
  /** Path and size findings by `rule\0path`; content findings by rule, then secret (no key string per secret). */
  private readonly groups = new Map<string, Group>();
  /** Content findings as rows of `rows`, by rule, then secret (the order findings are made in). */
  private readonly contentGroups = new Map<CompiledRule, Map<string, number>>();
  private readonly rows = new ContentRows();
  private readonly suppressed = {
    allowlist: new Set<string>(),
    inline: new Set<string>(),
    baseline: new Set<string>(),
  };
  private readonly ruleById: Map<string, CompiledRule>;
  /** Every secret matched, reported or not, so redaction can find them in any other field. */
  readonly secrets = new Set<string>();
  private readonly baselineMemo = new Map<string, boolean>();
  /** Descriptions arrive as copies from the worker threads: one string each, not one per match. */
  private readonly descriptions = new Map<string, string>();

  constructor(
    private readonly ruleset: Ruleset,
    private readonly opts: StageOptions = {},
  ) {
    this.ruleById = new Map(ruleset.rules.map((r) => [r.id, r]));
  }

  /** Whether the global allowlist names any paths at all (most configurations do not). */
  get hasPlaceAllowlist(): boolean {
    return this.ruleset.globalAllow.paths !== undefined;
  }

  /** The global allowlist's paths: such a place is not scanned, and no finding comes from it. */
  placeAllowed(path: string): boolean {
    return this.ruleset.globalAllow.paths?.(path) ?? false;
  }

  /** Path and size rules that fired at a file place (`size` for size rules). */
  addPathHits(rules: readonly CompiledRule[], place: Place, size?: number): void {
    if (place.source || this.placeAllowed(place.path)) return;
    for (const rule of rules) {
      const key = `${rule.id}\0${place.path}`;
      if (this.baselined(key, rule.id, place.path)) {
        this.suppressed.baseline.add(key);
        continue;
      }
      this.group(key, rule, rule.kind, undefined, rule.description, rule.severity, rule.confidence).occ.push(
        rule.kind === 'size' ? { ...place, size } : place,
      );
    }
  }

  /**
   * A text's content matches at every place it appears (one blob under many commits and paths);
   * `otherSecrets`, matched but settled before (see `PackedMatches`), are only for redaction.
   */
  addMatches(matches: readonly BlobMatch[], places: readonly Place[], otherSecrets: readonly string[] = []): void {
    for (const s of otherSecrets) this.secrets.add(s);
    if (!matches.length) return;
    for (const m of matches) this.secrets.add(m.secret);
    // scope and overlaps depend only on the path (or the kind of message): settled once per path
    const byPath = new Map<string, { m: BlobMatch; rule: CompiledRule }[]>();
    for (const place of places) {
      if (this.placeAllowed(place.path) && !place.source) continue;
      const label = place.source ? `\0${place.source}` : place.path;
      let winners = byPath.get(label);
      if (!winners) {
        winners = this.inScope(matches, place);
        byPath.set(label, winners);
      }
      for (const { m, rule } of winners) this.addMatch(m, rule, place);
    }
  }

  private inScope(
    matches: readonly BlobMatch[],
    place: Place,
  ): { m: BlobMatch; rule: CompiledRule; start: number; end: number }[] {
    const candidates: { m: BlobMatch; rule: CompiledRule; start: number; end: number }[] = [];
    for (const m of matches) {
      const rule = this.ruleById.get(m.ruleId);
      if (!rule) continue;
      if (rule.matchPath && !place.anyPath && (place.source || !rule.matchPath(rulePathOf(place)))) continue;
      candidates.push({ m, rule, start: m.start, end: m.end });
    }
    return resolveOverlaps(candidates);
  }

  private addMatch(m: BlobMatch, rule: CompiledRule, place: Place): void {
    const key = `${rule.id}\0${place.path}\0${m.secret}`;
    if (allowedValue(this.ruleset.globalAllow, m.secret) || (!place.source && rule.allow.paths?.(rulePathOf(place)))) {
      this.suppressed.allowlist.add(key);
      return;
    }
    if (m.inlineAllowed) {
      this.suppressed.inline.add(key);
      return;
    }
    if (this.baselined(key, rule.id, place.path, m.secret)) {
      this.suppressed.baseline.add(key);
      return;
    }
    let description = this.descriptions.get(m.description);
    if (description === undefined) {
      description = m.description;
      this.descriptions.set(description, description);
    }
    let bySecret = this.contentGroups.get(rule);
    if (!bySecret) {
      bySecret = new Map();
      this.contentGroups.set(rule, bySecret);
    }
    const row = bySecret.get(m.secret);
    if (row !== undefined) this.rows.addPlace(row, place, m.line, m.column);
    else bySecret.set(m.secret, this.rows.add(rule, m, description, place));
  }

  /**
   * An archive blob's members and problems at every place the archive appears: a member becomes a
   * place of its own, `<archive path>!<member>`, with the archive's commit; what could not be read
   * becomes an `archive-incomplete` finding at the archive (or the nested archive) it was in.
   * A place the global allowlist covers is skipped, as a file at that path would be.
   */
  addArchive(archive: ArchiveFindings, places: readonly Place[]): void {
    const ruleById = this.ruleById;
    const files = places.filter((p) => !p.source && !this.placeAllowed(p.path));
    if (!files.length) return;
    for (const m of archive.members) {
      const at = files.map((p): Place => ({ ...p, path: `${p.path}!${m.path}`, member: m.path, anyPath: undefined }));
      const rules = m.pathRules.map((id) => ruleById.get(id)).filter((r): r is CompiledRule => r !== undefined);
      if (rules.length) for (const p of at) this.addPathHits(rules, p, m.size);
      if (m.matches.length) this.addMatches(m.matches, at);
    }
    if (!archive.problems.length) return;
    const rule = archiveIncompleteRule();
    const byPath = new Map<string, string[]>();
    for (const pr of archive.problems) {
      const list = byPath.get(pr.path);
      if (list) list.push(pr.reason);
      else byPath.set(pr.path, [pr.reason]);
    }
    for (const [inner, reasons] of byPath) {
      const shown = reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : '');
      const description = `${rule.description}: ${shown}`;
      for (const p of files) {
        const place: Place = inner ? { ...p, path: `${p.path}!${inner}`, member: inner } : p;
        if (inner && this.placeAllowed(place.path)) continue;
        const key = `${rule.id}\0${place.path}`;
        if (this.baselined(key, rule.id, place.path)) {
          this.suppressed.baseline.add(key);
          continue;
        }
        const g = this.group(key, rule, 'path', undefined, description, rule.severity, rule.confidence);
        // one archive blob at many commits: one description; another version's reasons are added once
        if (!g.description.includes(shown)) g.description = `${g.description}; ${shown}`;
        g.occ.push(place);
      }
    }
  }

  private baselined(key: string, ruleId: string, path: string, secret?: string): boolean {
    const baseline = this.opts.baseline;
    if (!baseline?.size) return false;
    let hit = this.baselineMemo.get(key);
    if (hit === undefined) {
      hit = baseline.has(fingerprint(ruleId, path, secret));
      this.baselineMemo.set(key, hit);
    }
    return hit;
  }

  private group(
    key: string,
    rule: CompiledRule,
    kind: FindingKind,
    secret: string | undefined,
    description: string,
    severity: Severity,
    confidence: Confidence,
  ): Group {
    let g = this.groups.get(key);
    if (!g) {
      g = { rule, kind, secret, description, severity, confidence, occ: [] };
      this.groups.set(key, g);
    }
    return g;
  }

  /** Findings, attributed (history) or in path order (work tree, index), and the suppression counts. */
  async finish(stats: ScanStats, attribution?: Attribution): Promise<Finding[]> {
    const { isLfs } = this.opts;
    // an artifact stored in LFS is where the artifact rules want it
    const dropLfs = (rule: CompiledRule) => isLfs !== undefined && rule.spec.tags?.includes('artifact') === true;
    const kept: Group[] = [];
    for (const g of this.groups.values()) {
      if (dropLfs(g.rule)) g.occ = g.occ.filter((o) => !isLfs!(o));
      if (g.occ.length) kept.push(g);
    }
    this.groups.clear();
    const order = (occ: Occ[]) => (attribution ? attribution.order(occ) : occ.sort(byPlace));
    for (const g of kept) order(g.occ);
    // Content rows, in the order they were made: a row's places are ordered once here (a row met
    // at one place, most of them, has nothing to order) and its group exists only while it
    // becomes a finding, so a million findings never hold a million groups as well.
    const rows = this.rows;
    const live: number[] = [];
    for (const bySecret of this.contentGroups.values()) for (const row of bySecret.values()) live.push(row);
    this.contentGroups.clear();
    let count = kept.length;
    for (const row of live) {
      if (rows.settle(row, dropLfs(rows.rule[row]!) ? isLfs : undefined, order)) count++;
    }
    if (attribution) {
      const firsts = kept.map((g) => g.occ[0]!.commit);
      for (const row of live) if (rows.kept(row)) firsts.push(rows.firstCommit(row));
      await attribution.describe(firsts);
    }
    // each group is let go of once it is a finding: with a million findings, holding both doubles the peak
    const findings: Finding[] = new Array(count);
    let n = 0;
    for (let i = 0; i < kept.length; i++) {
      findings[n++] = toFinding(kept[i]!, attribution);
      (kept as (Group | undefined)[])[i] = undefined;
    }
    for (const row of live) {
      if (!rows.kept(row)) continue;
      findings[n++] = toFinding(rows.group(row), attribution);
      if (n % COLLECT_EVERY === 0) collectGarbage();
    }
    rows.clear();
    findings.sort((a, b) =>
      a.path < b.path
        ? -1
        : a.path > b.path
          ? 1
          : (a.line ?? 0) - (b.line ?? 0) ||
            (a.column ?? 0) - (b.column ?? 0) ||
            (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
    );
    stats.suppressed = {
      allowlist: this.suppressed.allowlist.size,
      inline: this.suppressed.inline.size,
      baseline: this.suppressed.baseline.size,
    };
    return findings;
  }
}

/**
 * Content findings in columns, one row per (rule, secret): the place and position of its first
 * match, and further places only for the rows that have them. A history of a million distinct
 * tokens makes a million rows, each a few array slots instead of a group object, an occurrence
 * list and an occurrence object.
 */
class ContentRows {
  readonly rule: CompiledRule[] = [];
  private secret: string[] = [];
  private description: string[] = [];
  private severity: Severity[] = [];
  private confidence: Confidence[] = [];
  private place: Place[] = [];
  private line: number[] = [];
  private column: number[] = [];
  /** Every place of rows met at more than one, first included; ordered by `settle`. */
  private more = new Map<number, Occ[]>();
  /** Rows left without a place by `settle` (artifacts in LFS). */
  private dropped = new Set<number>();

  add(rule: CompiledRule, m: BlobMatch, description: string, place: Place): number {
    const row = this.rule.length;
    this.rule.push(rule);
    this.secret.push(m.secret);
    this.description.push(description);
    this.severity.push(m.severity);
    this.confidence.push(m.confidence);
    this.place.push(place);
    this.line.push(m.line);
    this.column.push(m.column);
    return row;
  }

  addPlace(row: number, place: Place, line: number, column: number): void {
    let occ = this.more.get(row);
    if (!occ) {
      occ = [this.occ(row)];
      this.more.set(row, occ);
    }
    occ.push({ ...place, line, column });
  }

  private occ(row: number): Occ {
    return { ...this.place[row]!, line: this.line[row], column: this.column[row] };
  }

  /** Drops the places `without` refuses and orders the rest; false when none is left. */
  settle(row: number, without: ((place: Place) => boolean) | undefined, order: (occ: Occ[]) => void): boolean {
    let occ = this.more.get(row);
    if (without) {
      occ = (occ ?? [this.occ(row)]).filter((o) => !without(o));
      if (!occ.length) {
        this.dropped.add(row);
        this.more.delete(row);
        return false;
      }
      this.more.set(row, occ);
    }
    if (occ && occ.length > 1) order(occ);
    return true;
  }

  kept(row: number): boolean {
    return !this.dropped.has(row);
  }

  firstCommit(row: number): number {
    return (this.more.get(row)?.[0] ?? this.place[row]!).commit;
  }

  /** The row as a group, made when it becomes a finding. */
  group(row: number): Group {
    const occ = this.more.get(row) ?? [this.occ(row)];
    this.more.delete(row);
    return {
      rule: this.rule[row]!,
      kind: 'content',
      secret: this.secret[row],
      description: this.description[row]!,
      severity: this.severity[row]!,
      confidence: this.confidence[row]!,
      occ,
    };
  }

  clear(): void {
    this.rule.length = 0;
    this.secret = [];
    this.description = [];
    this.severity = [];
    this.confidence = [];
    this.place = [];
    this.line = [];
    this.column = [];
    this.more.clear();
    this.dropped.clear();
  }
}

function byPlace(a: Occ, b: Occ): number {
  return (
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0)
  );
}

function toFinding(g: Group, attribution: Attribution | undefined): Finding {
  const first = g.occ[0]!;
  // a fingerprint per path: the finding's is its first occurrence's
  // (the first path's without a map: most findings have one path)
  let firstPath: string | undefined;
  let firstFingerprint = '';
  let fingerprints: Map<string, string> | undefined;
  const fingerprintAt = (path: string) => {
    if (firstPath === undefined) {
      firstPath = path;
      firstFingerprint = fingerprint(g.rule.id, path, g.secret);
    }
    if (path === firstPath) return firstFingerprint;
    fingerprints ??= new Map();
    let fp = fingerprints.get(path);
    if (fp === undefined) {
      fp = fingerprint(g.rule.id, path, g.secret);
      fingerprints.set(path, fp);
    }
    return fp;
  };
  const c = first.commit >= 0 ? attribution?.commit(first.commit) : undefined;
  const content = g.kind === 'content';
  // Every field is given at once, absent ones as undefined (which JSON leaves out): the object is
  // then laid out with its properties inline, about half the memory of one grown field by field,
  // which counts with a million findings.
  // a file's content finding, most of a million: only its own fields, in the same order (the
  // report's key order), 32 bytes less each than the literal with every field
  const f: Finding =
    content && !first.source
      ? {
          ruleId: g.rule.id,
          kind: g.kind,
          path: first.path,
          fingerprint: fingerprintAt(first.path),
          description: g.description,
          severity: g.severity,
          confidence: g.confidence,
          line: first.line,
          column: first.column,
          secret: g.secret,
          blobId: first.blob || undefined,
          commit: c?.oid,
          author: c?.author,
          date: c?.date,
          subject: c?.subject,
          occurrences: undefined,
          refs: undefined,
          member: first.member,
        }
      : {
          ruleId: g.rule.id,
          kind: g.kind,
          path: first.path,
          fingerprint: fingerprintAt(first.path),
          description: g.description,
          severity: g.severity,
          confidence: g.confidence,
          line: content ? first.line : undefined,
          column: content ? first.column : undefined,
          secret: content ? g.secret : undefined,
          // the largest version among the occurrences that fired the rule
          size: g.kind === 'size' ? g.occ.reduce((m, o) => Math.max(m, o.size ?? 0), 0) : undefined,
          blobId: first.blob || undefined,
          source: first.source,
          ref: first.source ? first.ref : undefined,
          commit: c?.oid,
          author: c?.author,
          date: c?.date,
          subject: c?.subject,
          occurrences: undefined,
          refs: undefined,
          refsTotal: undefined,
          member: first.member,
        };
  const occurrence = (o: Occ, commit: string | undefined): Occurrence =>
    o.source
      ? {
          commit,
          path: o.path,
          blobId: o.blob || undefined,
          fingerprint: fingerprintAt(o.path),
          source: o.source,
          ref: o.ref,
        }
      : o.member !== undefined
        ? { commit, path: o.path, blobId: o.blob || undefined, fingerprint: fingerprintAt(o.path), member: o.member }
        : { commit, path: o.path, blobId: o.blob || undefined, fingerprint: fingerprintAt(o.path) };
  let occurrences: Occurrence[];
  if (g.occ.length === 1) {
    // the common case, and with a million findings the one that counts: no set, no key, an exact array
    occurrences = [occurrence(first, c?.oid)];
  } else {
    const seen = new Set<string>();
    occurrences = [];
    for (const o of g.occ) {
      const commit = o.commit >= 0 ? attribution?.commit(o.commit)?.oid : undefined;
      const key = `${commit}\0${o.path}\0${o.source ?? ''}\0${o.ref ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      occurrences.push(occurrence(o, commit));
    }
    if (occurrences.length < 16) occurrences = occurrences.slice(); // exact capacity, not the push's reserve
  }
  if (attribution) {
    f.occurrences = occurrences;
    const refs = attribution.refsReaching(g.occ.map((o) => o.commit).filter((x) => x >= 0));
    f.refs = refs.length > MAX_REFS_LISTED ? refs.slice(0, MAX_REFS_LISTED) : refs;
    if (refs.length > MAX_REFS_LISTED) f.refsTotal = refs.length;
  } else if (occurrences.length > 1) {
    f.occurrences = occurrences;
  }
  return f;
}

/**
 * Redaction, the stage's last step (it changes the report it is given): the secret of every finding, and every known secret wherever
 * else it appears (a commit subject, a path, a ref name, a warning), since a message that carries a
 * token is a finding of its own and its subject is printed with every finding of that commit.
 */
export function redactReport<R extends Pick<ScanReport, 'findings' | 'stats'>>(
  report: R,
  secrets: Iterable<string>,
): R {
  const stats = report.stats;
  const texts = textsThatMayCarry(report);
  const scrub = secretScrubber(secretsFoundIn(texts, secrets, report.findings));
  // in place: the report is the scan's own, and a copy of a million findings would double the peak
  for (const r of report.findings) {
    if (r.secret !== undefined) r.secret = redactedForm(r.secret);
    r.path = scrub(r.path);
    // a member's path is the end of `path`: a secret in it is found there
    if (r.member !== undefined) r.member = scrub(r.member);
    if (r.subject !== undefined) r.subject = scrub(r.subject);
    if (r.ref !== undefined) r.ref = scrub(r.ref);
    // ref lists are shared between findings: replaced only where a ref name holds a secret
    if (r.refs?.some((x) => scrub(x) !== x)) r.refs = r.refs.map(scrub);
    for (const o of r.occurrences ?? []) {
      o.path = scrub(o.path);
      if (o.member !== undefined) o.member = scrub(o.member);
      if (o.ref !== undefined) o.ref = scrub(o.ref);
    }
  }
  // the secrets' redacted copies and the scrubber are garbage now, and the report is written next
  if (report.findings.length >= COLLECT_EVERY) collectGarbage();
  stats.warnings = stats.warnings.map(scrub);
  for (const k of Object.keys(stats.skippedExamples) as (keyof typeof stats.skippedExamples)[])
    stats.skippedExamples[k] = stats.skippedExamples[k]?.map(scrub);
  return report;
}

/**
 * Every distinct text of a report that a secret could sit in besides its own field: paths,
 * subjects, ref names, warnings. However many findings, these are few (a million findings in four
 * files name four paths), so they are what the secrets are looked for in, not the other way round.
 */
function textsThatMayCarry(report: Pick<ScanReport, 'findings' | 'stats'>): Set<string> {
  const texts = new Set<string>();
  const seenRefLists = new Set<string[]>();
  for (const f of report.findings) {
    texts.add(f.path);
    if (f.subject !== undefined) texts.add(f.subject);
    if (f.ref !== undefined) texts.add(f.ref);
    // ref lists are shared between findings: each list read once
    if (f.refs && !seenRefLists.has(f.refs)) {
      seenRefLists.add(f.refs);
      for (const r of f.refs) texts.add(r);
    }
    for (const o of f.occurrences ?? []) {
      texts.add(o.path);
      if (o.ref !== undefined) texts.add(o.ref);
    }
  }
  for (const w of report.stats.warnings) texts.add(w);
  for (const list of Object.values(report.stats.skippedExamples)) for (const e of list ?? []) texts.add(e);
  return texts;
}

/**
 * The secrets (known to the scan, or a finding's own) that could occur in one of `texts`. When the
 * texts are shorter in all than the secrets are many, the texts' windows are indexed and each secret
 * is looked up by its first characters: memory in proportion to the texts, not to a million secrets.
 * Otherwise every secret goes to the scrubber, which indexes them.
 */
function secretsFoundIn(texts: Set<string>, known: Iterable<string>, findings: readonly Finding[]): Iterable<string> {
  const all = function* () {
    yield* known;
    for (const f of findings) if (f.secret !== undefined) yield f.secret;
  };
  let textChars = 0;
  for (const t of texts) textChars += t.length;
  if (textChars > findings.length + (known instanceof Set ? known.size : 0)) return all();
  const windows = new Set<string>();
  for (const t of texts) for (let i = 0; i + SCRUB_MIN <= t.length; i++) windows.add(t.slice(i, i + SCRUB_MIN));
  const found = new Set<string>();
  if (!windows.size) return found;
  for (const secret of all()) {
    if (secret.length < SCRUB_MIN || !windows.has(secret.slice(0, SCRUB_MIN))) continue;
    for (const t of texts)
      if (t.includes(secret)) {
        found.add(secret);
        break;
      }
  }
  return found;
}

/** Redacted forms repeat (`ghp_********`): one string each, not one per finding. */
const redactedForms = new Map<string, string>();
function redactedForm(secret: string): string {
  const r = redact(secret);
  const known = redactedForms.get(r);
  if (known !== undefined) return known;
  if (redactedForms.size < 10_000) redactedForms.set(r, r);
  return r;
}

/** Secrets this short are too likely to be ordinary text to be searched for elsewhere. */
const SCRUB_MIN = 6;

/**
 * A function that replaces every known secret inside a text by its redacted form. Secrets are
 * indexed by their first characters, so a text is searched in one pass however many secrets a scan
 * matched (a million findings, a million secrets); texts repeat (one subject for many findings)
 * and are answered from a memo.
 */
export function secretScrubber(secrets: Iterable<string>): (text: string) => string {
  const byHead = new Map<string, string[]>();
  for (const s of new Set(secrets)) {
    if (s.length < SCRUB_MIN) continue;
    const head = s.slice(0, SCRUB_MIN);
    const list = byHead.get(head);
    if (list) list.push(s);
    else byHead.set(head, [s]);
  }
  for (const list of byHead.values()) list.sort((a, b) => b.length - a.length); // the longest secret wins
  const memo = new Map<string, string>();
  return (text) => {
    if (!byHead.size || text.length < SCRUB_MIN) return text;
    let done = memo.get(text);
    if (done !== undefined) return done;
    let out = '';
    let from = 0;
    for (let i = 0; i + SCRUB_MIN <= text.length;) {
      const hit = byHead.get(text.slice(i, i + SCRUB_MIN))?.find((s) => text.startsWith(s, i));
      if (hit) {
        out += text.slice(from, i) + redact(hit);
        i += hit.length;
        from = i;
      } else i++;
    }
    done = from ? out + text.slice(from) : text;
    if (memo.size < 100_000) memo.set(text, done);
    return done;
  };
}
