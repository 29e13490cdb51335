/**
 * The rule file format, and its validation. Rules are data: a malformed rule is a clear error that
 * names the file and the rule, never a crash later in a scan.
 */
import { LeakguardError } from '../errors.js';
import { CONFIDENCES, SEVERITIES, type Confidence, type Severity } from '../types.js';
import { parseSize } from './units.js';
import { VALIDATOR_NAMES } from './validators.js';

export interface RuleExample {
  path?: string;
  content?: string;
  size?: number;
}

export interface RuleSpec {
  id: string;
  description: string;
  severity: Severity;
  /**
   * How sure a match is to be a live credential. Default: derived (see `ruleConfidence` in
   * compile.ts): checksum-validated high, prefix-anchored tokens high or medium, keyword heuristics low.
   */
  confidence?: Confidence;
  /** micromatch globs against the repository-relative path. Alone: a path rule. */
  paths?: string[];
  exclude_paths?: string[];
  /** With `paths` and no `regex`: a size rule. */
  min_size?: number;
  /** With it: a content rule. A JavaScript regex; a leading `(?i)` means case-insensitive. */
  regex?: string;
  /** Literal strings, case-insensitive; content without any of them never reaches `regex`. */
  keywords?: string[];
  min_entropy?: number;
  /** A checksum or structure check the secret must pass (see validators.ts), e.g. `github-crc32`. */
  validate?: string;
  /** Matches can span lines; default: guessed from the regex (it mentions \n, \r or [\s\S]). */
  multiline?: boolean;
  /** Which capture group holds the secret: a number or a group name. Default: group `secret`, else 1, else 0. */
  secret_group?: number | string;
  allowlist?: AllowlistSpec;
  /** Refines the description when the text before the secret on its line matches `before`. */
  context?: { before: string; description: string }[];
  /** When two content rules match overlapping text, the higher priority wins. */
  priority?: number;
  /**
   * Files in this rule's `paths` that hold a credential (found by this or any content rule) are
   * local state, not shareable configuration: `leakguard gitignore` ignores them.
   */
  ignore_when_found?: boolean;
  /** How to revoke or rotate this kind of credential; used by purge plans. */
  rotate?: string;
  tags?: string[];
  examples?: RuleExample[];
  negative_examples?: RuleExample[];
  /** Where the rule came from, for error messages. */
  source?: string;
  /** True for the shipped pack: its regexes are vetted by tests, so they skip the runtime guard. */
  builtin?: boolean;
}

export interface AllowlistSpec {
  paths?: string[];
  /** Regexes tested against the secret (or, for path and size rules, the path). */
  regexes?: string[];
  /** Case-insensitive substrings of the secret. */
  stopwords?: string[];
}

const RULE_KEYS = new Set([
  'id',
  'description',
  'severity',
  'confidence',
  'paths',
  'exclude_paths',
  'min_size',
  'regex',
  'keywords',
  'min_entropy',
  'validate',
  'secret_group',
  'multiline',
  'allowlist',
  'context',
  'priority',
  'ignore_when_found',
  'rotate',
  'tags',
  'examples',
  'negative_examples',
]);
const ID_RE = /^[a-z0-9][a-z0-9._-]*$/;

function fail(where: string, msg: string): never {
  throw new LeakguardError(`${where}: ${msg}`);
}

function stringList(v: unknown, where: string, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0)) {
    fail(where, `'${field}' must be a list of non-empty strings`);
  }
  return v as string[];
}

function allowlist(v: unknown, where: string): AllowlistSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    fail(where, `'allowlist' must be a mapping with paths, regexes or stopwords`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['paths', 'regexes', 'stopwords'].includes(k))
      fail(where, `unknown allowlist key '${k}' (expected paths, regexes, stopwords)`);
  }
  return {
    paths: stringList(o.paths, where, 'allowlist.paths'),
    regexes: stringList(o.regexes, where, 'allowlist.regexes'),
    stopwords: stringList(o.stopwords, where, 'allowlist.stopwords'),
  };
}

function examples(v: unknown, where: string, field: string): RuleExample[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(where, `'${field}' must be a list`);
  return v.map((e, i) => {
    if (typeof e === 'string') return { content: e };
    if (e && typeof e === 'object' && !Array.isArray(e)) {
      const o = e as Record<string, unknown>;
      for (const k of Object.keys(o))
        if (!['path', 'content', 'size'].includes(k)) fail(where, `${field}[${i}]: unknown key '${k}'`);
      return {
        path: o.path === undefined ? undefined : String(o.path),
        content: o.content === undefined ? undefined : String(o.content),
        size: o.size === undefined ? undefined : parseSize(o.size, `${where} ${field}[${i}].size`),
      };
    }
    return fail(where, `${field}[${i}] must be a string or a mapping with path, content, size`);
  });
}

/**
 * Validates one rule object. `partial` allows an override in a user config that names an existing
 * id and changes only some fields.
 */
export function validateRule(raw: unknown, source: string, index: number, partial = false): RuleSpec {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    fail(`${source}: rule #${index + 1}`, 'a rule must be a mapping');
  const o = raw as Record<string, unknown>;
  const id = o.id;
  const where = typeof id === 'string' ? `${source}: rule '${id}'` : `${source}: rule #${index + 1}`;
  if (typeof id !== 'string' || !ID_RE.test(id))
    fail(where, `'id' is required: lowercase letters, digits, '.', '_' or '-'`);
  for (const k of Object.keys(o)) if (!RULE_KEYS.has(k)) fail(where, `unknown key '${k}'`);

  const spec: RuleSpec = { id, source } as RuleSpec;
  if (o.description !== undefined) {
    if (typeof o.description !== 'string' || !o.description.trim())
      fail(where, `'description' must be a non-empty string`);
    spec.description = o.description.trim();
  } else if (!partial) fail(where, `'description' is required`);
  if (o.severity !== undefined) {
    if (!SEVERITIES.includes(o.severity as Severity)) fail(where, `'severity' must be one of ${SEVERITIES.join(', ')}`);
    spec.severity = o.severity as Severity;
  } else if (!partial) fail(where, `'severity' is required`);
  if (o.confidence !== undefined) {
    if (!CONFIDENCES.includes(o.confidence as Confidence))
      fail(where, `'confidence' must be one of ${CONFIDENCES.join(', ')}`);
    spec.confidence = o.confidence as Confidence;
  }
  spec.paths = stringList(o.paths, where, 'paths');
  spec.exclude_paths = stringList(o.exclude_paths, where, 'exclude_paths');
  if (o.min_size !== undefined) spec.min_size = parseSize(o.min_size, `${where} min_size`);
  if (o.regex !== undefined) {
    if (typeof o.regex !== 'string' || !o.regex) fail(where, `'regex' must be a non-empty string`);
    spec.regex = o.regex;
  }
  spec.keywords = stringList(o.keywords, where, 'keywords');
  if (o.min_entropy !== undefined) {
    if (typeof o.min_entropy !== 'number' || o.min_entropy < 0 || o.min_entropy > 8)
      fail(where, `'min_entropy' must be a number from 0 to 8`);
    spec.min_entropy = o.min_entropy;
  }
  if (o.validate !== undefined) {
    if (typeof o.validate !== 'string' || !VALIDATOR_NAMES.includes(o.validate))
      fail(where, `'validate' must be one of ${VALIDATOR_NAMES.join(', ')}`);
    spec.validate = o.validate;
  }
  if (o.multiline !== undefined) {
    if (typeof o.multiline !== 'boolean') fail(where, `'multiline' must be true or false`);
    spec.multiline = o.multiline;
  }
  if (o.secret_group !== undefined) {
    if (!(
      typeof o.secret_group === 'string' ||
      (Number.isInteger(o.secret_group) && (o.secret_group as number) >= 0)
    )) {
      fail(where, `'secret_group' must be a group number or name`);
    }
    spec.secret_group = o.secret_group as number | string;
  }
  spec.allowlist = allowlist(o.allowlist, where);
  if (o.context !== undefined) {
    if (!Array.isArray(o.context)) fail(where, `'context' must be a list of {before, description}`);
    spec.context = o.context.map((c, i) => {
      const co = c as Record<string, unknown>;
      if (!co || typeof co.before !== 'string' || typeof co.description !== 'string')
        fail(where, `context[${i}] needs 'before' (regex) and 'description'`);
      return { before: co.before, description: co.description };
    });
  }
  if (o.priority !== undefined) {
    if (typeof o.priority !== 'number') fail(where, `'priority' must be a number`);
    spec.priority = o.priority;
  }
  if (o.ignore_when_found !== undefined) {
    if (typeof o.ignore_when_found !== 'boolean') fail(where, `'ignore_when_found' must be true or false`);
    spec.ignore_when_found = o.ignore_when_found;
  }
  if (o.rotate !== undefined) spec.rotate = String(o.rotate).trim();
  spec.tags = stringList(o.tags, where, 'tags');
  spec.examples = examples(o.examples, where, 'examples');
  spec.negative_examples = examples(o.negative_examples, where, 'negative_examples');

  if (!partial) checkShape(spec, where);
  for (const k of Object.keys(spec) as (keyof RuleSpec)[]) if (spec[k] === undefined) delete spec[k];
  return spec;
}

/** A complete rule must be one of the three kinds, and say how to tell a hit from a miss. */
export function checkShape(spec: RuleSpec, where = `${spec.source ?? 'rules'}: rule '${spec.id}'`): void {
  if (!spec.description) fail(where, `'description' is required`);
  if (!spec.severity) fail(where, `'severity' is required`);
  if (!spec.regex && !spec.paths) fail(where, `a rule needs 'regex' (content rule) or 'paths' (path or size rule)`);
  if (spec.min_size !== undefined && spec.regex)
    fail(where, `'min_size' belongs to path rules; a content rule cannot have it`);
  if (spec.validate !== undefined && !spec.regex) fail(where, `'validate' checks a matched secret; it needs a 'regex'`);
  if (spec.keywords?.some((k) => k.length < 2)) fail(where, `keywords must be at least 2 characters long`);
}

export function ruleKind(spec: RuleSpec): 'path' | 'size' | 'content' {
  if (spec.regex) return 'content';
  if (spec.min_size !== undefined) return 'size';
  return 'path';
}

/** Reads the `rules:` list of a parsed rule file. */
export function rulesFromDocument(doc: unknown, source: string, partial = false): RuleSpec[] {
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) fail(source, `expected a mapping with a 'rules' list`);
  const list = (doc as Record<string, unknown>).rules;
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(source, `'rules' must be a list`);
  const seen = new Set<string>();
  return list.map((r, i) => {
    const spec = validateRule(r, source, i, partial);
    if (seen.has(spec.id)) fail(source, `rule '${spec.id}' is defined twice`);
    seen.add(spec.id);
    return spec;
  });
}
