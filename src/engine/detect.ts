/**
 * Runs compiled rules over one file version: path and size rules on its name and size, content
 * rules on its text (keyword prefilter first, then only the rules whose keywords occur).
 */
import { inlineAllowed } from './gitleaks-compat.js';
import type { Confidence, FindingKind, Severity } from '../types.js';
import { shannonEntropy } from './entropy.js';
import { allowedValue, type CompiledRule, type Ruleset } from './compile.js';
import { allMatches, allMatchesGuarded, RegexTimeout, type MatchTuple } from './regex.js';
import { judge } from './placeholders.js';

export interface RawFinding {
  /** Set on content findings, so a long list of them can be used as blob matches without a copy of each. */
  ruleId?: string;
  rule: CompiledRule;
  kind: FindingKind;
  description: string;
  severity: Severity;
  confidence: Confidence;
  line?: number;
  column?: number;
  secret?: string;
  /** The line carries a `leakguard:allow` comment. */
  inlineAllowed?: boolean;
  /** Offsets of the secret in the text scanned (content findings). */
  start?: number;
  end?: number;
}

export const INLINE_ALLOW = 'leakguard:allow';

export function detectPath(ruleset: Ruleset, path: string, size: number): RawFinding[] {
  const out: RawFinding[] = [];
  for (const rule of ruleset.pathRules) {
    if (rule.matchPath && !rule.matchPath(path)) continue;
    if (rule.kind === 'size' && size < (rule.minSize ?? 0)) continue;
    if (rule.allow.paths?.(path) || allowedValue(rule.allow, path)) continue;
    out.push({
      rule,
      kind: rule.kind,
      description: rule.description,
      severity: rule.severity,
      confidence: rule.confidence,
    });
  }
  return out;
}

export interface ContentOptions {
  /** Time limit for one user rule on one file. */
  guardMs: number;
  /** Called when a user rule exceeds its time limit; the rule is then skipped for this file. */
  onTimeout?: (rule: CompiledRule) => void;
  /** Rules switched off for the rest of a scan after a time-out. */
  disabled?: Set<string>;
  /** Look for keywords only before this offset; windows may still reach past it. */
  keywordLimit?: number;
  /** Set to true when a rule whose matches span lines had a keyword hit. */
  seen?: { multiline: boolean };
  /**
   * The one path the text has (a one-off scan's file): rules scoped elsewhere are skipped here,
   * before their regexes are compiled, instead of being dropped by the findings stage's scope step.
   * Their path allowlists stay with the stage, which counts what they suppress.
   */
  scopePath?: string;
  /**
   * Find keywords with the regex alternation, not the hashed index: the way for keywords the index
   * cannot hold (one character, or beyond ASCII), which the tests hold to the same answers.
   */
  keywordRegex?: boolean;
  /**
   * The bytes the text is, one per character (text decoded as latin1): the keyword index copies
   * them where it would otherwise write the string out character by character.
   */
  textBytes?: Uint8Array;
  /**
   * Every rule's matches, overlapping ones included: the findings stage settles overlaps per place,
   * after path scopes (see `resolveOverlaps`). Without it, overlaps are settled here.
   */
  allCandidates?: boolean;
}

/** Where a keyword occurs, and which rules it wakes. */
interface Hit {
  at: number;
  rules: CompiledRule[];
}

function keywordHits(ruleset: Ruleset, text: string, forceRegex: boolean, bytes?: Uint8Array): Hit[] {
  const hits: Hit[] = [];
  // The index, in every kind of scan: with its second hash and no array per keyword, building it
  // costs less than compiling the regex of 514 keywords (a pre-commit run of one small file: 636 M
  // instructions against 647 M), and it reads text about three times as fast.
  const index = forceRegex ? undefined : ruleset.keywordIndex;
  if (index?.usable) {
    index.each(text, text.length, (at, word) => hits.push({ at, rules: ruleset.byKeyword.get(word) ?? [] }), bytes);
    // the index reports a keyword where its rarest triple is; windows want them in text order
    return hits.sort((a, b) => a.at - b.at);
  }
  const re = ruleset.prefilter;
  if (!re) return hits;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    // the alternation reports the longest keyword here; the rules of shorter ones it starts with
    // ('secret' inside 'secret_') wake too
    hits.push({ at: m.index, rules: ruleset.byKeywordAndPrefixes.get(m[0].toLowerCase()) ?? [] });
    // step one character, not past the match, so overlapping keywords are all seen
    re.lastIndex = m.index + 1;
  }
  return hits;
}

/** How far around a keyword a rule looks: the keyword's line, bounded for minified lines. */
const BEFORE = 512;
const AFTER = 4096;
/** Rules whose matches span lines (PEM blocks, JSON key files) look this far past the keyword. */
const MULTILINE_AFTER = 20_000;

/**
 * Text windows for one rule: around each of its keyword hits, merged where they overlap. A window
 * starts at the beginning of the hit's line (or BEFORE characters back on a very long line) and
 * ends at the end of the line (or AFTER characters on), so a rule reads a few lines, not the file.
 */
function windowsFor(rule: CompiledRule, hits: number[], text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const at of hits) {
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const start = Math.max(lineStart, at - BEFORE);
    let end: number;
    if (rule.multiline) end = Math.min(text.length, at + MULTILINE_AFTER);
    else {
      const nl = text.indexOf('\n', at);
      end = Math.min(nl === -1 ? text.length : nl, at + AFTER);
    }
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly text: string) {}
  private build(): number[] {
    const s = [0];
    let i = -1;
    while ((i = this.text.indexOf('\n', i + 1)) !== -1) s.push(i + 1);
    return s;
  }
  locate(offset: number): { line: number; column: number; lineStart: number; lineEnd: number } {
    const starts = (this.starts ??= this.build());
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = starts[lo]!;
    const next = lo + 1 < starts.length ? starts[lo + 1]! - 1 : this.text.length;
    return { line: lo + 1, column: offset - lineStart + 1, lineStart, lineEnd: next };
  }
}

function secretOf(rule: CompiledRule, m: MatchTuple): { secret: string; offset: number } | undefined {
  const full = m.groups[0] ?? '';
  const g = rule.secretGroup;
  const secret = typeof g === 'string' ? m.named?.[g] : m.groups[g];
  if (secret === undefined || secret === '') return undefined;
  // The group's offset is not reported without the `d` flag (slow); search for it inside the match.
  const within = g === 0 ? 0 : full.lastIndexOf(secret);
  return { secret, offset: m.index + Math.max(0, within) };
}

export function detectContent(
  ruleset: Ruleset,
  path: string | undefined,
  text: string,
  opts: ContentOptions,
): RawFinding[] {
  const lines = new LineIndex(text);
  // the findings themselves, with their offsets: no wrapper or copy per candidate (a dump of tokens has millions)
  const hits: RawFinding[] = [];
  // rule -> positions of its keywords
  const byRule = new Map<CompiledRule, number[]>();
  const keywordText =
    opts.keywordLimit !== undefined && opts.keywordLimit < text.length ? text.slice(0, opts.keywordLimit) : text;
  const bytes = opts.textBytes?.length === text.length ? opts.textBytes.subarray(0, keywordText.length) : undefined;
  for (const h of keywordHits(ruleset, keywordText, opts.keywordRegex === true, bytes)) {
    for (const r of h.rules) {
      if (r.multiline && opts.seen) opts.seen.multiline = true;
      const list = byRule.get(r);
      if (list) list.push(h.at);
      else byRule.set(r, [h.at]);
    }
  }
  const jobs: [CompiledRule, [number, number][]][] = [];
  for (const r of ruleset.unkeyed) jobs.push([r, [[0, text.length]]]);
  for (const [r, at] of byRule) jobs.push([r, windowsFor(r, at, text)]);
  for (const [rule, windows] of jobs) {
    if (opts.disabled?.has(rule.id)) continue;
    // without a path (a history blob seen under several), scoped rules run and the caller filters
    const scoped = path ?? opts.scopePath;
    if (scoped !== undefined && rule.matchPath && !rule.matchPath(scoped)) continue;
    for (const [ws, we] of windows) {
      const slice = ws === 0 && we === text.length ? text : text.slice(ws, we);
      let matches: MatchTuple[];
      try {
        matches = rule.guarded ? allMatchesGuarded(rule.regex!, slice, opts.guardMs) : allMatches(rule.regex!, slice);
      } catch (e) {
        if (e instanceof RegexTimeout) {
          opts.onTimeout?.(rule);
          break;
        }
        throw e;
      }
      for (const m of matches) {
        // a window cut into a long line: a match touching the cut may be missing its real start
        if (m.index === 0 && ws > 0 && text[ws - 1] !== '\n') continue;
        const s = secretOf(rule, m);
        if (!s) continue;
        if (rule.minEntropy !== undefined && shannonEntropy(s.secret) < rule.minEntropy) continue;
        // a format with a checksum: a match that fails it is a look-alike, not an issued token
        if (rule.validate && !rule.validate(s.secret)) continue;
        if (allowedValue(rule.allow, s.secret)) continue;
        if (path !== undefined && rule.allow.paths?.(path)) continue;
        const offset = ws + s.offset;
        const loc = lines.locate(offset);
        const lineText = text.slice(loc.lineStart, loc.lineEnd);
        const absolute = ws + m.index;
        const verdict = judge(rule, s.secret, {
          before: lineText.slice(Math.max(0, loc.column - 81), loc.column - 1),
          prev: absolute > 0 ? text[absolute - 1]! : '',
          next: text[offset + s.secret.length] ?? '',
          line: lineText,
        });
        if (verdict === 'drop') continue;
        let description = rule.description;
        for (const c of rule.context) {
          if (c.before.test(lineText.slice(0, loc.column - 1))) {
            description = c.description;
            break;
          }
        }
        hits.push({
          ruleId: rule.id,
          rule,
          kind: 'content',
          description,
          severity: verdict === 'demote' ? 'low' : rule.severity,
          confidence: verdict === 'demote' ? 'low' : rule.confidence,
          line: loc.line,
          column: loc.column,
          secret: s.secret,
          inlineAllowed: inlineAllowed(lineText, INLINE_ALLOW),
          start: offset,
          end: offset + s.secret.length,
        });
      }
    }
  }
  hits.sort((a, b) => a.start! - b.start!);
  return opts.allCandidates ? hits : resolveOverlaps(hits);
}

/**
 * Where two rules claim overlapping text, the more specific (higher priority, then longer) wins.
 * It runs once the rules out of scope for a place are gone, never before: a path-scoped rule that
 * wins a blob's text would otherwise take the text from the rule that applies where the blob sits.
 */
export function resolveOverlaps<T extends { rule: { priority: number }; start?: number; end?: number }>(
  hits: T[],
): T[] {
  if (hits.length < 2) return hits;
  const startOf = (h: T) => h.start ?? 0;
  const endOf = (h: T) => h.end ?? 0;
  const byStart = [...hits].sort((a, b) => startOf(a) - startOf(b));
  // Overlaps are rare: only runs of matches that overlap one another (found in one sweep) need
  // ranking, so a blob with a hundred thousand tokens costs a sort, not a comparison of every pair.
  const out: T[] = [];
  for (let i = 0; i < byStart.length;) {
    let j = i + 1;
    let reach = endOf(byStart[i]!);
    while (j < byStart.length && startOf(byStart[j]!) < reach) reach = Math.max(reach, endOf(byStart[j++]!));
    if (j === i + 1) out.push(byStart[i]!);
    else out.push(...rankRun(byStart.slice(i, j), startOf, endOf));
    i = j;
  }
  return out;
}

/** Within a run of overlapping matches: higher priority first, then longer, then earlier. */
function rankRun<T extends { rule: { priority: number } }>(
  run: T[],
  startOf: (h: T) => number,
  endOf: (h: T) => number,
): T[] {
  const span = (h: T) => endOf(h) - startOf(h);
  const ranked = run.sort((a, b) => b.rule.priority - a.rule.priority || span(b) - span(a) || startOf(a) - startOf(b));
  const kept: T[] = [];
  for (const h of ranked) {
    if (kept.some((k) => startOf(h) < endOf(k) && startOf(k) < endOf(h))) continue;
    kept.push(h);
  }
  return kept.sort((a, b) => startOf(a) - startOf(b));
}
