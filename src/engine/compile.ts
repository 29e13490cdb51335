/** Compiles validated rule specs into the matchers the detector runs. */
import { createRequire } from 'node:module';
import { LeakguardError } from '../errors.js';
import type { Confidence, Severity } from '../types.js';
import { checkShape, ruleKind, type AllowlistSpec, type RuleSpec } from './rule-spec.js';
import { compileRegex, findNestedQuantifier, translateRegex } from './regex.js';
import { VALIDATORS } from './validators.js';
import { KeywordIndex } from './keyword-filter.js';

export interface CompiledAllow {
  paths?: (path: string) => boolean;
  regexes: RegExp[];
  stopwords: string[];
}

export interface CompiledRule {
  id: string;
  kind: 'path' | 'size' | 'content';
  severity: Severity;
  confidence: Confidence;
  description: string;
  spec: RuleSpec;
  /** Path filter: for path and size rules the rule itself, for content rules a scope. */
  matchPath?: (path: string) => boolean;
  minSize?: number;
  regex?: RegExp;
  /** User rules run under a time limit; shipped rules are vetted by tests. */
  guarded: boolean;
  secretGroup: number | string;
  keywords: string[];
  /** Matches may span lines, so windows around keywords reach further. */
  multiline: boolean;
  minEntropy?: number;
  /** The secret's checksum or structure check, when its format has one. */
  validate?: (secret: string) => boolean;
  allow: CompiledAllow;
  context: { before: RegExp; description: string }[];
  priority: number;
}

export interface Ruleset {
  rules: CompiledRule[];
  pathRules: CompiledRule[];
  contentRules: CompiledRule[];
  /**
   * One case-insensitive alternation of every keyword, for keywords the index cannot hold;
   * undefined when no content rule has keywords.
   */
  readonly prefilter?: RegExp;
  /** The same keywords as a hashed index: what every scan finds keywords with (see keywordHits in detect.ts). */
  readonly keywordIndex?: KeywordIndex;
  byKeyword: Map<string, CompiledRule[]>;
  /** Per keyword, its rules and those of every keyword it starts with: what a regex hit wakes. */
  byKeywordAndPrefixes: Map<string, CompiledRule[]>;
  /** Content rules without keywords: they see every text file. */
  unkeyed: CompiledRule[];
  globalAllow: CompiledAllow;
}

const MM_OPTIONS = { dot: true } as const;

// micromatch is loaded only for globs the fast tests below do not cover.
let micromatch: typeof import('micromatch') | undefined;
const loadMicromatch = () =>
  (micromatch ??= createRequire(import.meta.url)('micromatch') as typeof import('micromatch'));

/** Glob -> regex, shared by every rule; the build seeds it for the shipped pack so start-up skips micromatch. */
const globCache = new Map<string, RegExp>();
/** The shipped pack's globs as regex sources, made RegExps on first use: most take a fast shape (see fastGlob). */
const seededGlobs = new Map<string, [source: string, flags: string]>();

export function seedGlobCache(entries: [glob: string, source: string, flags: string][]): void {
  for (const [g, source, flags] of entries) if (!seededGlobs.has(g)) seededGlobs.set(g, [source, flags]);
}

/**
 * One glob as micromatch means it. The `s` flag lets `*` cross a newline inside a file name, which
 * git allows and micromatch's own regexes would refuse.
 */
export function globToRegex(g: string, where: string): RegExp {
  let re = globCache.get(g);
  const seeded = re ? undefined : seededGlobs.get(g);
  if (seeded) {
    re = new RegExp(seeded[0], seeded[1]);
    globCache.set(g, re);
  }
  if (!re) {
    try {
      const mm = loadMicromatch().makeRe(g, MM_OPTIONS);
      re = new RegExp(mm.source, mm.flags.includes('s') ? mm.flags : `${mm.flags}s`);
    } catch (e) {
      throw new LeakguardError(`${where}: invalid glob ${JSON.stringify(g)}: ${(e as Error).message}`);
    }
    globCache.set(g, re);
  }
  return re;
}

const LIT = '[^*?\\[\\]{}()!+@/\\\\]+';
const SEGS = `${LIT}(?:/${LIT})*`;
const SHAPE_SEGS = new RegExp(`^\\*\\*/(${SEGS})$`);
const SHAPE_DIR = new RegExp(`^\\*\\*/(${SEGS})/\\*\\*$`);
const SHAPE_EXACT = new RegExp(`^(${SEGS})$`);
const SHAPE_UNDER = new RegExp(`^(${SEGS})/\\*\\*$`);
const SHAPE_BASE = new RegExp(`^\\*\\*/(?:(${SEGS})/)?(${LIT})?\\*(${LIT})?$`);

type PathTest = (path: string) => boolean;
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dirIs = (p: string, d: string) => {
  const slash = p.lastIndexOf('/');
  if (slash === -1) return false;
  const dir = p.slice(0, slash);
  return dir === d || dir.endsWith(`/${d}`);
};

// The glob shapes rule packs are made of ("**/*.pt", "**/.env", "**/.gemini/**",
// "**/config/credentials/*.key") as string tests: the same answers as micromatch for git paths,
// without running its large regexes over every path of a history. Anything else: undefined.
export function fastGlob(g: string): PathTest | undefined {
  if (g === '**') return () => true;
  let m = SHAPE_SEGS.exec(g);
  if (m) {
    const s = m[1]!;
    return (p) => p === s || p.endsWith(`/${s}`);
  }
  m = SHAPE_DIR.exec(g);
  if (m) {
    const s = m[1]!;
    return (p) => p === s || p.startsWith(`${s}/`) || p.endsWith(`/${s}`) || p.includes(`/${s}/`);
  }
  m = SHAPE_EXACT.exec(g);
  if (m) {
    const s = m[1]!;
    return (p) => p === s;
  }
  m = SHAPE_UNDER.exec(g);
  if (m) {
    const s = m[1]!;
    return (p) => p === s || p.startsWith(`${s}/`);
  }
  m = SHAPE_BASE.exec(g);
  if (m) {
    const dir = m[1];
    const pre = m[2] ?? '';
    const post = m[3] ?? '';
    return (p) => {
      const b = baseOf(p);
      return (
        b.length >= pre.length + post.length &&
        b.startsWith(pre) &&
        b.endsWith(post) &&
        (dir === undefined || dirIs(p, dir))
      );
    };
  }
  return undefined;
}

/** Compiles globs into one predicate. */
export function globMatcher(globs: string[], where: string): PathTest {
  const tests = globs.map((g): PathTest => {
    const fast = fastGlob(g);
    if (fast) return fast;
    const re = globToRegex(g, where);
    return (p) => re.test(p);
  });
  return tests.length === 1 ? tests[0]! : (p) => tests.some((t) => t(p));
}

export function compileAllow(spec: AllowlistSpec | undefined, where: string): CompiledAllow {
  return {
    paths: spec?.paths?.length ? globMatcher(spec.paths, `${where} allowlist.paths`) : undefined,
    regexes: (spec?.regexes ?? []).map((r) => {
      const t = translateRegex(r, `${where} allowlist.regexes`);
      return compileRegex(t.source, t.flags, `${where} allowlist.regexes`);
    }),
    stopwords: (spec?.stopwords ?? []).map((s) => s.toLowerCase()),
  };
}

/** True when the allowlist drops this value (a secret, or a path for path/size rules). */
export function allowedValue(allow: CompiledAllow, value: string): boolean {
  if (allow.regexes.some((r) => r.test(value))) return true;
  if (allow.stopwords.length) {
    const lower = value.toLowerCase();
    if (allow.stopwords.some((w) => lower.includes(w))) return true;
  }
  return false;
}

export function compileRule(spec: RuleSpec): CompiledRule {
  const where = `${spec.source ?? 'rules'}: rule '${spec.id}'`;
  checkShape(spec, where);
  const kind = ruleKind(spec);
  const include = spec.paths?.length ? globMatcher(spec.paths, `${where} paths`) : undefined;
  const exclude = spec.exclude_paths?.length ? globMatcher(spec.exclude_paths, `${where} exclude_paths`) : undefined;
  const matchPath =
    include || exclude ? (p: string) => (include ? include(p) : true) && !(exclude && exclude(p)) : undefined;

  if (!spec.builtin) {
    const t = spec.regex ? translateRegex(spec.regex, where) : undefined;
    // a user's rule is checked whole now, so a mistake is an error at start-up, not in mid-scan
    if (t) {
      const nested = findNestedQuantifier(t.source);
      if (nested) {
        throw new LeakguardError(
          `${where}: regex can backtrack catastrophically at '${nested}' (a repeated group whose body is itself a repeat); rewrite it so each repetition has a fixed part`,
        );
      }
    }
    return {
      ...ruleHead(spec, kind, matchPath),
      regex: t ? compileRegex(t.source, `${t.flags}g`, where) : undefined,
      secretGroup: secretGroupOf(spec, t, where),
      confidence: ruleConfidence(spec),
      multiline: isMultiline(spec),
      allow: compileAllow(spec.allowlist, where),
      context: compileContext(spec, where),
    };
  }
  // The shipped pack's rules are checked by its tests. What they derive (regex, groups, allowlists,
  // confidence) is worked out when a scan first asks, so a pre-commit run of a few files pays only
  // for the rules its keywords wake, however large the pack grows.
  return new ShippedRule(spec, kind, matchPath, where);
}

/**
 * A shipped rule, compiled on demand. A class, not an object literal with getters: the literal
 * made a closure per getter and a dictionary-mode object per rule, about 3.7 KB for each of the
 * pack's 251 rules on every pre-commit run, where this is its fields.
 */
class ShippedRule implements CompiledRule {
  readonly id: string;
  readonly severity: Severity;
  readonly description: string;
  readonly minSize?: number;
  readonly guarded = false;
  readonly keywords: string[];
  readonly minEntropy?: number;
  readonly validate?: (secret: string) => boolean;
  readonly priority: number;
  private compiled?: RegExp;
  private group?: number | string;
  private level?: Confidence;
  private spans?: boolean;
  private allowlist?: CompiledAllow;
  private contexts?: CompiledRule['context'];
  /** The regex in JavaScript's syntax; null when the rule has none. */
  private js?: { source: string; flags: string } | null;

  constructor(
    readonly spec: RuleSpec,
    readonly kind: CompiledRule['kind'],
    readonly matchPath: CompiledRule['matchPath'],
    private readonly where: string,
  ) {
    const head = ruleHead(spec, kind, matchPath);
    this.id = head.id;
    this.severity = head.severity;
    this.description = head.description;
    this.minSize = head.minSize;
    this.keywords = head.keywords;
    this.minEntropy = head.minEntropy;
    this.validate = head.validate;
    this.priority = head.priority;
  }

  private get translated(): { source: string; flags: string } | undefined {
    if (this.js === undefined) this.js = this.spec.regex ? translateRegex(this.spec.regex, this.where) : null;
    return this.js ?? undefined;
  }
  get regex(): RegExp | undefined {
    const t = this.compiled ? undefined : this.translated;
    if (t) this.compiled = compileRegex(t.source, `${t.flags}g`, this.where);
    return this.compiled;
  }
  get secretGroup(): number | string {
    return (this.group ??= secretGroupOf(this.spec, this.translated, this.where));
  }
  get confidence(): Confidence {
    return (this.level ??= ruleConfidence(this.spec));
  }
  get multiline(): boolean {
    return (this.spans ??= isMultiline(this.spec));
  }
  get allow(): CompiledAllow {
    return (this.allowlist ??= compileAllow(this.spec.allowlist, this.where));
  }
  get context(): CompiledRule['context'] {
    return (this.contexts ??= compileContext(this.spec, this.where));
  }
}

/** What a rule is without compiling anything. */
function ruleHead(spec: RuleSpec, kind: CompiledRule['kind'], matchPath: CompiledRule['matchPath']) {
  return {
    id: spec.id,
    kind,
    severity: spec.severity,
    description: spec.description,
    spec,
    matchPath,
    minSize: spec.min_size,
    guarded: !spec.builtin,
    keywords: (spec.keywords ?? []).map((k) => k.toLowerCase()),
    minEntropy: spec.min_entropy,
    validate: spec.validate === undefined ? undefined : VALIDATORS[spec.validate],
    priority: spec.priority ?? 0,
  };
}

function secretGroupOf(spec: RuleSpec, t: { source: string } | undefined, where: string): number | string {
  if (!t) return 0;
  const groupCount = countGroups(t.source);
  const group = spec.secret_group ?? (/\(\?<secret>/.test(t.source) ? 'secret' : groupCount >= 1 ? 1 : 0);
  if (typeof group === 'number' && group > groupCount)
    throw new LeakguardError(`${where}: secret_group ${group} but the regex has ${groupCount} capture group(s)`);
  return group;
}

const isMultiline = (spec: RuleSpec): boolean =>
  spec.multiline ?? (spec.regex !== undefined && /\\n|\\r|\[\\s\\S\]|\(\?[a-z]*s/.test(spec.regex));

function compileContext(spec: RuleSpec, where: string): CompiledRule['context'] {
  return (spec.context ?? []).map((c) => {
    const t = translateRegex(c.before, `${where} context`);
    return { before: compileRegex(t.source, t.flags, `${where} context`), description: c.description };
  });
}

/**
 * A rule's confidence: the one it declares, else derived from its shape. A checksum the rule can
 * validate makes a match almost certainly real; a secret that starts with a fixed vendor prefix is
 * rarely anything else (high from four characters of prefix, medium below); a value found only by
 * its variable name, entropy or tag `generic` is a guess. Path and size rules name a kind of file,
 * which is usually but not always what it seems.
 */
export function ruleConfidence(spec: RuleSpec): Confidence {
  if (spec.confidence) return spec.confidence;
  // `validate` (a checksum check) is a field of the vendor-token rules; any value means one exists
  if ((spec as { validate?: unknown }).validate !== undefined) return 'high';
  if (!spec.regex) return 'medium';
  if (spec.tags?.includes('generic')) return 'low';
  const prefix = secretPrefixLength(translateRegex(spec.regex, spec.id).source, spec.secret_group);
  return prefix >= 4 ? 'high' : prefix >= 2 ? 'medium' : 'low';
}

/**
 * How many fixed characters the secret group starts with, at least: `(ghp_[A-Za-z0-9]{36})` gives 4,
 * `((?:sk|rk)_live_…)` gives 8 (the shortest alternative counts), `([A-Za-z0-9]{40})` gives 0.
 */
export function secretPrefixLength(source: string, group: number | string | undefined): number {
  const start = secretGroupStart(source, group);
  if (start < 0) return 0;
  let n = 0;
  let i = start;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[.\-_/+=@:#]/.test(next)) {
        n++;
        i += 2;
        continue;
      }
      break;
    }
    if (c === '(' && source.startsWith('(?:', i)) {
      const close = source.indexOf(')', i);
      const alts = source.slice(i + 3, close).split('|');
      if (close < 0 || alts.some((a) => !/^[A-Za-z0-9_-]+$/.test(a))) break;
      const q = source[close + 1];
      if (q === '?' || q === '*' || q === '{') break;
      n += Math.min(...alts.map((a) => a.length));
      i = close + 1;
      continue;
    }
    if (/[A-Za-z0-9_-]/.test(c)) {
      // a literal followed by a quantifier is not fixed
      if (/[?*+{]/.test(source[i + 1] ?? '')) break;
      n++;
      i++;
      continue;
    }
    break;
  }
  return n;
}

/** Index just after the opening of the secret's capture group in a regex source, or -1. */
function secretGroupStart(source: string, group: number | string | undefined): number {
  if (typeof group === 'string') {
    const at = source.indexOf(`(?<${group}>`);
    return at < 0 ? -1 : at + group.length + 4;
  }
  const want = group ?? (source.includes('(?<secret>') ? undefined : 1);
  if (want === undefined) return secretGroupStart(source, 'secret');
  if (want === 0) return 0;
  let n = 0;
  for (const start of capturingGroups(source)) if (++n === want) return start;
  return -1;
}

/**
 * Capturing groups in a regex source, counted without compiling it: V8 compiles a regex on first
 * use, and forcing that for every rule at start-up costs more than the whole pre-commit scan.
 */
export function countGroups(source: string): number {
  let n = 0;
  for (const _ of capturingGroups(source)) n++;
  return n;
}

/**
 * Where each capturing group's body starts in a regex source (just after `(`, or after `(?<name>`),
 * in order; escapes, character classes and non-capturing groups and lookbehinds are stepped over.
 */
function* capturingGroups(source: string): Generator<number> {
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c !== '(') continue;
    if (source[i + 1] !== '?') yield i + 1;
    else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') yield source.indexOf('>', i) + 1;
  }
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One regex for many keywords, as a trie: 'sk-ant-|sk-or-v1-|sk_' becomes 'sk(?:-(?:ant-|or-v1-)|_)'.
 * A flat alternation makes the regex engine try every keyword at every position, so its cost grows
 * with the pack; the trie tests each position's first character once. At each position it matches
 * the longest keyword there, as the longest-first alternation did.
 */
export function keywordTrie(words: string[]): string {
  const key = trieKey(words);
  let source = trieCache.get(key);
  if (source === undefined) {
    source = buildTrie(words);
    trieCache.set(key, source);
  }
  return source;
}

/**
 * Keyword set -> trie source. Only keywords the index cannot hold need the regex (see keywordHits),
 * never the shipped pack's alone, so the pack carries no trie.
 */
const trieCache = new Map<string, string>();
const trieKey = (words: string[]) => [...words].sort().join('\n');

function buildTrie(words: string[]): string {
  interface Node {
    end: boolean;
    next: Map<string, Node>;
  }
  const root: Node = { end: false, next: new Map() };
  for (const w of words) {
    let n = root;
    for (const ch of w.toLowerCase()) {
      let c = n.next.get(ch);
      if (!c) {
        c = { end: false, next: new Map() };
        n.next.set(ch, c);
      }
      n = c;
    }
    n.end = true;
  }
  const build = (n: Node): string => {
    const parts = [...n.next].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ch, c]) => escapeRegex(ch) + build(c));
    if (!parts.length) return '';
    const alt = parts.length === 1 ? parts[0]! : `(?:${parts.join('|')})`;
    // a keyword ends here: the longer ones through this node are tried first (greedy), then this one
    return n.end ? (parts.length === 1 && parts[0]!.length === 1 ? `${alt}?` : `(?:${alt})?`) : alt;
  };
  return build(root);
}

export function compileRuleset(specs: RuleSpec[], globalAllow?: AllowlistSpec, globalWhere = 'config'): Ruleset {
  const rules = specs.map(compileRule);
  const contentRules = rules.filter((r) => r.kind === 'content');
  const byKeyword = new Map<string, CompiledRule[]>();
  const unkeyed: CompiledRule[] = [];
  for (const r of contentRules) {
    if (r.keywords.length === 0) {
      unkeyed.push(r);
      continue;
    }
    for (const k of new Set(r.keywords)) {
      const list = byKeyword.get(k) ?? [];
      list.push(r);
      byKeyword.set(k, list);
    }
  }
  // The regex's side tables, only for keywords the index cannot hold (see keywordHits): a
  // pre-commit run of the shipped pack never builds them.
  let longestFirst: string[] | undefined;
  let withPrefixes: Map<string, CompiledRule[]> | undefined;
  // Longest keywords first, so a keyword that contains another is still reported.
  const keys = () => (longestFirst ??= [...byKeyword.keys()].sort((a, b) => b.length - a.length));
  const prefixTable = () => {
    if (withPrefixes) return withPrefixes;
    // (keywords are at least two characters, so a prefix shares the first two; group by them)
    const byStart = new Map<string, string[]>();
    for (const k of keys()) {
      const list = byStart.get(k.slice(0, 2));
      if (list) list.push(k);
      else byStart.set(k.slice(0, 2), [k]);
    }
    withPrefixes = new Map<string, CompiledRule[]>();
    for (const k of keys()) {
      const prefixes = byStart.get(k.slice(0, 2))!.filter((p) => p.length < k.length && k.startsWith(p));
      if (!prefixes.length) {
        withPrefixes.set(k, byKeyword.get(k)!);
        continue;
      }
      const rules = new Set(byKeyword.get(k));
      for (const p of prefixes) for (const r of byKeyword.get(p)!) rules.add(r);
      withPrefixes.set(k, [...rules]);
    }
    return withPrefixes;
  };
  let index: KeywordIndex | undefined;
  let prefilter: RegExp | undefined;
  return {
    rules,
    pathRules: rules.filter((r) => r.kind !== 'content'),
    contentRules,
    // built on first use, and only where the index cannot hold a keyword (see keywordHits)
    get prefilter() {
      if (byKeyword.size && !prefilter) prefilter = new RegExp(keywordTrie(keys()), 'gi');
      return prefilter;
    },
    // built on first use: a scan of path rules alone never needs it
    get keywordIndex() {
      if (byKeyword.size && !index) index = new KeywordIndex(keys());
      return index;
    },
    byKeyword,
    get byKeywordAndPrefixes() {
      return prefixTable();
    },
    unkeyed,
    globalAllow: compileAllow(globalAllow, globalWhere),
  };
}
