/**
 * `leakguard import gitleaks`: a .gitleaks.toml turned into a .leakguard.yml. gitleaks rules are
 * Go regexes with regex path scopes; leakguard's are JavaScript regexes with glob path scopes, so
 * each piece is translated where the translation keeps its meaning and listed as not converted
 * where it would not. Every converted rule is compiled before it is written.
 */
import { createRequire } from 'node:module';
import yaml from 'js-yaml';
import { LeakguardError } from '../errors.js';
import { validateRule, type AllowlistSpec } from '../engine/rule-spec.js';
import { compileRule, compileAllow } from '../engine/compile.js';
import { parseConfig } from '../config.js';

export interface ImportResult {
  /** The .leakguard.yml text. */
  yaml: string;
  converted: number;
  /** What could not be converted, one line each. */
  notConverted: string[];
}

type Toml = Record<string, unknown>;

/** Go (RE2) syntax that JavaScript spells differently, or not at all. */
export function goRegexToJs(re: string): { regex?: string; why?: string } {
  let out = re;
  const lead = /^\(\?i\)/.test(out) ? '(?i)' : '';
  out = out.slice(lead.length);
  if (/\(\?[a-zA-Z-]+[:)]/.test(out)) return { why: 'inline flags other than a leading (?i)' };
  if (/\\[pP]\{|\\x\{|\\Q/.test(out)) return { why: 'Unicode classes, \\x{...} or \\Q...\\E' };
  const posix: Record<string, string> = {
    alnum: 'a-zA-Z0-9',
    alpha: 'a-zA-Z',
    digit: '0-9',
    xdigit: '0-9a-fA-F',
    upper: 'A-Z',
    lower: 'a-z',
    space: '\\s',
    word: '\\w',
  };
  out = out.replace(/\[:(\w+):\]/g, (m, name: string) => posix[name] ?? m);
  if (/\[:\w+:\]/.test(out)) return { why: 'a POSIX character class JavaScript lacks' };
  out = out
    .replace(/\(\?P</g, '(?<')
    .replace(/\\z/g, '$')
    .replace(/\\A/g, '^');
  try {
    new RegExp(out);
  } catch (e) {
    return { why: `not a JavaScript regex (${(e as Error).message})` };
  }
  return { regex: `${lead}${out}` };
}

const LITERAL = /^(?:[^\\^$.|?*+()[\]{}]|\\[.\-/_ ])+$/;
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

/** A path regex as globs, for the shapes path scopes usually have; undefined for anything else. */
export function pathRegexToGlobs(re: string): string[] | undefined {
  let r = re;
  let start: 'root' | 'segment' | 'anywhere' = 'anywhere';
  if (r.startsWith('^')) {
    start = 'root';
    r = r.slice(1);
  } else if (/^\((?:\?:)?\^\|\/\)/.test(r)) {
    start = 'segment';
    r = r.replace(/^\((?:\?:)?\^\|\/\)/, '');
  }
  r = r.replace(/^(?:\(\.\*\??\)|\.\*\??)/, () => {
    start = 'anywhere';
    return '';
  });
  const anchoredEnd = r.endsWith('$') && !r.endsWith('\\$');
  if (anchoredEnd) r = r.slice(0, -1);
  // one alternation group at the end, or the whole: (a|b|c)
  const alt = /^(.*?)\((?:\?:)?([^()]+)\)$/.exec(r);
  const bodies =
    alt && alt[2]!.split('|').every((x) => LITERAL.test(x)) && (alt[1] === '' || LITERAL.test(alt[1]!))
      ? alt[2]!.split('|').map((x) => unescape(alt[1]!) + unescape(x))
      : LITERAL.test(r)
        ? [unescape(r)]
        : undefined;
  if (!bodies) return undefined;
  return bodies.flatMap((b) => {
    const head = start === 'root' ? b : start === 'segment' ? `**/${b}` : `**/*${b}`;
    if (anchoredEnd) return [head];
    return [`${head}*`, `${head}*/**`];
  });
}

interface GitleaksAllowlist {
  description?: string;
  condition?: string;
  commits?: string[];
  paths?: string[];
  regexes?: string[];
  regexTarget?: string;
  stopwords?: string[];
}

function convertAllowlist(a: GitleaksAllowlist, where: string, notes: string[]): AllowlistSpec | undefined {
  const out: AllowlistSpec = {};
  if (a.commits?.length)
    notes.push(
      `${where}: allowlist commits (${a.commits.length}): leakguard accepts findings by fingerprint, not commit (record them with leakguard baseline)`,
    );
  if (a.condition && a.condition.toUpperCase() === 'AND')
    notes.push(`${where}: allowlist condition AND (leakguard applies each part on its own, like OR)`);
  for (const p of a.paths ?? []) {
    const globs = pathRegexToGlobs(p);
    if (globs) (out.paths ??= []).push(...globs);
    else notes.push(`${where}: allowlist path '${p}' (a regex with no glob equivalent)`);
  }
  if (a.regexes?.length) {
    if (a.regexTarget && a.regexTarget !== 'secret')
      notes.push(
        `${where}: allowlist regexes with regexTarget '${a.regexTarget}' (leakguard tests allowlist regexes against the secret)`,
      );
    else {
      for (const re of a.regexes) {
        const js = goRegexToJs(re);
        if (js.regex) (out.regexes ??= []).push(js.regex);
        else notes.push(`${where}: allowlist regex '${re}': ${js.why}`);
      }
    }
  }
  if (a.stopwords?.length) out.stopwords = [...a.stopwords];
  return Object.keys(out).length ? out : undefined;
}

function mergeAllow(a: AllowlistSpec | undefined, b: AllowlistSpec | undefined): AllowlistSpec | undefined {
  if (!a) return b;
  if (!b) return a;
  const m: AllowlistSpec = {};
  for (const k of ['paths', 'regexes', 'stopwords'] as const) {
    const v = [...(a[k] ?? []), ...(b[k] ?? [])];
    if (v.length) m[k] = v;
  }
  return m;
}

/** Both spellings gitleaks has used: one [allowlist] table, or a list of [[allowlists]]. */
function allowlistsOf(o: Toml): GitleaksAllowlist[] {
  const out: GitleaksAllowlist[] = [];
  if (o.allowlist && typeof o.allowlist === 'object') out.push(o.allowlist as GitleaksAllowlist);
  if (Array.isArray(o.allowlists)) out.push(...(o.allowlists as GitleaksAllowlist[]));
  return out;
}

export function convertGitleaks(tomlText: string, file: string, shippedIds: ReadonlySet<string>): ImportResult {
  const toml = createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml');
  let doc: Toml;
  try {
    doc = toml.parse(tomlText) as Toml;
  } catch (e) {
    throw new LeakguardError(`${file}: invalid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const notes: string[] = [];
  const rules: Record<string, unknown>[] = [];
  const extend = doc.extend as Toml | undefined;
  if (extend?.path || extend?.url) notes.push(`[extend] path/url: convert that file too and merge the rules by hand`);
  if (Array.isArray(extend?.disabledRules) && extend.disabledRules.length)
    notes.push(
      `[extend] disabledRules (${(extend.disabledRules as string[]).join(', ')}): gitleaks' own rule ids; disable leakguard's rules by their ids instead`,
    );
  for (const [i, raw] of ((doc.rules as Toml[] | undefined) ?? []).entries()) {
    const id = typeof raw.id === 'string' && raw.id ? raw.id : `rule-${i + 1}`;
    const where = `rule '${id}'`;
    const lgId = shippedIds.has(id) ? `gitleaks-${id}` : id;
    if (lgId !== id) notes.push(`${where}: renamed to '${lgId}' (leakguard ships a rule with that id)`);
    const spec: Record<string, unknown> = {
      id: lgId,
      description: typeof raw.description === 'string' && raw.description ? raw.description : id,
      severity: 'high',
    };
    if (typeof raw.regex === 'string') {
      const js = goRegexToJs(raw.regex);
      if (!js.regex) {
        notes.push(`${where}: not converted: regex ${js.why}`);
        continue;
      }
      spec.regex = js.regex;
      // without one, both tools take the first group (or the whole match)
      if (typeof raw.secretGroup === 'number' && raw.secretGroup > 0) spec.secret_group = raw.secretGroup;
    }
    if (typeof raw.path === 'string') {
      const globs = pathRegexToGlobs(raw.path);
      if (!globs) {
        notes.push(`${where}: not converted: path '${raw.path}' is a regex with no glob equivalent`);
        continue;
      }
      spec.paths = globs;
    }
    if (spec.regex === undefined && spec.paths === undefined) {
      notes.push(`${where}: not converted: neither regex nor path`);
      continue;
    }
    if (typeof raw.entropy === 'number') spec.min_entropy = raw.entropy;
    if (Array.isArray(raw.keywords) && raw.keywords.length) spec.keywords = raw.keywords;
    if (Array.isArray(raw.tags) && raw.tags.length) spec.tags = raw.tags;
    let allow: AllowlistSpec | undefined;
    for (const a of allowlistsOf(raw)) allow = mergeAllow(allow, convertAllowlist(a, where, notes));
    if (allow) spec.allowlist = allow;
    try {
      compileRule(validateRule(spec, file, i));
    } catch (e) {
      notes.push(`${where}: not converted: ${(e as Error).message}`);
      continue;
    }
    rules.push(spec);
  }
  let globalAllow: AllowlistSpec | undefined;
  for (const a of allowlistsOf(doc)) globalAllow = mergeAllow(globalAllow, convertAllowlist(a, 'global', notes));
  if (globalAllow) compileAllow(globalAllow, 'global allowlist');
  // gitleaks' own default rules are not imported: leakguard's pack covers that ground and stays on
  if (!extend?.useDefault && rules.length)
    notes.push(
      "this config replaced gitleaks' default rules; leakguard keeps its own pack on (default_rules: false turns it off)",
    );
  const out: Record<string, unknown> = {
    default_rules: true,
    ...(rules.length ? { rules } : {}),
    ...(globalAllow ? { allowlist: globalAllow } : {}),
  };
  const header = [
    `# Converted from ${file} by 'leakguard import gitleaks'.`,
    '# Severities are not a gitleaks notion: every imported rule is high; adjust as needed.',
    ...(notes.length ? ['# Not converted (see the import output):', ...notes.map((n) => `#   ${n}`)] : []),
  ];
  const text = `${header.join('\n')}\n${yaml.dump(out, { lineWidth: -1, noRefs: true })}`;
  parseConfig(yaml.load(text), '.leakguard.yml'); // what is written must load
  return { yaml: text, converted: rules.length, notConverted: notes };
}
