/**
 * Runs compiled rules over one file version: path and size rules on its name and size, content
 * rules on its text (keyword prefilter first, then only the rules whose keywords occur).
 */
import type { FindingKind, Severity } from '../types.js';
import { shannonEntropy } from './entropy.js';
import { allowedValue, type CompiledRule, type Ruleset } from './compile.js';
import { allMatches, allMatchesGuarded, RegexTimeout, type MatchTuple } from './regex.js';

export interface RawFinding {
  rule: CompiledRule;
  kind: FindingKind;
  description: string;
  severity: Severity;
  line?: number;
  column?: number;
  secret?: string;
  /** The line carries a `leakguard:allow` comment. */
  inlineAllowed?: boolean;
}

export const INLINE_ALLOW = 'leakguard:allow';

/** Values that are never secrets whatever the rule: templates, placeholders and masks. */
const PLACEHOLDER = /\$\{|\{\{|<[a-z_ -]*>|x{5,}|X{5,}|\*{5,}|\.\.\./;

export function detectPath(ruleset: Ruleset, path: string, size: number): RawFinding[] {
  const out: RawFinding[] = [];
  for (const rule of ruleset.pathRules) {
    if (rule.matchPath && !rule.matchPath(path)) continue;
    if (rule.kind === 'size' && size < (rule.minSize ?? 0)) continue;
    if (rule.allow.paths?.(path) || allowedValue(rule.allow, path)) continue;
    out.push({ rule, kind: rule.kind, description: rule.description, severity: rule.severity });
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
}

function candidateRules(ruleset: Ruleset, text: string): CompiledRule[] {
  const chosen = new Set<CompiledRule>(ruleset.unkeyed);
  const re = ruleset.prefilter;
  if (re) {
    const seen = new Set<string>();
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const k = m[0].toLowerCase();
      if (!seen.has(k)) {
        seen.add(k);
        for (const r of ruleset.byKeyword.get(k) ?? []) chosen.add(r);
        if (seen.size === ruleset.byKeyword.size) break;
      }
      // step one character, not past the match, so overlapping keywords are all seen
      re.lastIndex = m.index + 1;
    }
  }
  return [...chosen];
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
      if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
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

export function detectContent(ruleset: Ruleset, path: string, text: string, opts: ContentOptions): RawFinding[] {
  const lines = new LineIndex(text);
  const hits: { f: RawFinding; start: number; end: number }[] = [];
  for (const rule of candidateRules(ruleset, text)) {
    if (opts.disabled?.has(rule.id)) continue;
    if (rule.matchPath && !rule.matchPath(path)) continue;
    let matches: MatchTuple[];
    try {
      matches = rule.guarded ? allMatchesGuarded(rule.regex!, text, opts.guardMs) : allMatches(rule.regex!, text);
    } catch (e) {
      if (e instanceof RegexTimeout) { opts.onTimeout?.(rule); continue; }
      throw e;
    }
    for (const m of matches) {
      const s = secretOf(rule, m);
      if (!s) continue;
      if (PLACEHOLDER.test(s.secret)) continue;
      if (rule.minEntropy !== undefined && shannonEntropy(s.secret) < rule.minEntropy) continue;
      if (allowedValue(rule.allow, s.secret)) continue;
      if (rule.allow.paths?.(path)) continue;
      const loc = lines.locate(s.offset);
      const lineText = text.slice(loc.lineStart, loc.lineEnd);
      let description = rule.description;
      for (const c of rule.context) {
        if (c.before.test(lineText.slice(0, loc.column - 1))) { description = c.description; break; }
      }
      hits.push({
        f: {
          rule, kind: 'content', description, severity: rule.severity,
          line: loc.line, column: loc.column, secret: s.secret,
          inlineAllowed: lineText.includes(INLINE_ALLOW),
        },
        start: s.offset,
        end: s.offset + s.secret.length,
      });
    }
  }
  // Where two rules claim overlapping text, the more specific (higher priority, then longer) wins.
  hits.sort((a, b) => b.f.rule.priority - a.f.rule.priority || (b.end - b.start) - (a.end - a.start) || a.start - b.start);
  const kept: typeof hits = [];
  for (const h of hits) {
    if (kept.some((k) => h.start < k.end && k.start < h.end)) continue;
    kept.push(h);
  }
  kept.sort((a, b) => a.start - b.start);
  return kept.map((k) => k.f);
}
