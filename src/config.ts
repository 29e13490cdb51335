/**
 * `.leakguard.yml`: extends or disables rules, sets thresholds and allowlists. The same rule format
 * as the shipped pack; a rule whose id already exists overrides only the fields it sets.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LeakguardError } from './errors.js';
import { compileRuleset, type Ruleset } from './engine/compile.js';
import { loadDefaultRules, parseYamlFile } from './engine/rule-pack.js';
import { checkShape, validateRule, type AllowlistSpec, type RuleSpec } from './engine/rule-spec.js';
import { parseSize } from './engine/units.js';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './sources/archive.js';

export const CONFIG_FILE = '.leakguard.yml';
export const DEFAULT_MAX_CONTENT = 25 * 1000 * 1000;

export interface Config {
  /** Where the config came from, if anywhere. */
  file?: string;
  defaultRules: boolean;
  disable: string[];
  rules: RuleSpec[];
  allowlist?: AllowlistSpec;
  maxContentBytes: number;
  /** Baseline file (relative to the repository root) applied to every scan. */
  baseline?: string;
  /** `archives:` limits the config sets (the rest are defaults), or false: archives are not entered. */
  archives: Partial<ReadLimits> | false;
}

const CONFIG_KEYS = new Set([
  'default_rules',
  'disable',
  'rules',
  'allowlist',
  'max_content_size',
  'baseline',
  'archives',
]);

/** `archives:` keys, and the limit each sets. */
const ARCHIVE_KEYS: Record<string, { limit: keyof ReadLimits; size: boolean }> = {
  max_depth: { limit: 'maxDepth', size: false },
  max_members: { limit: 'maxMembers', size: false },
  max_total_size: { limit: 'maxTotalBytes', size: true },
  max_ratio: { limit: 'maxRatio', size: false },
  max_member_size: { limit: 'maxMemberBytes', size: true },
};

function parseArchives(v: unknown, file: string): Partial<ReadLimits> | false {
  if (v === false) return false;
  if (v === true || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new LeakguardError(
      `${file}: 'archives' must be false or a mapping of ${Object.keys(ARCHIVE_KEYS).join(', ')}`,
    );
  const out: Partial<ReadLimits> = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    const key = ARCHIVE_KEYS[k];
    if (!key)
      throw new LeakguardError(
        `${file}: unknown key 'archives.${k}' (expected ${Object.keys(ARCHIVE_KEYS).join(', ')})`,
      );
    const n = key.size ? parseSize(raw, `${file}: archives.${k}`) : Number(raw);
    if (!Number.isInteger(n) || n < (k === 'max_depth' ? 0 : 1))
      throw new LeakguardError(
        `${file}: 'archives.${k}' must be a whole number${k === 'max_depth' ? '' : ' of 1 or more'}`,
      );
    out[key.limit] = n;
  }
  return out;
}

/**
 * The limits archives are read under: the defaults, a member limit of the content limit, and
 * what the config sets; undefined when the config turns archives off (`archives: false`) or sets
 * a depth of 0.
 */
export function archiveLimits(cfg: Config, maxContentBytes: number): ReadLimits | undefined {
  if (cfg.archives === false) return undefined;
  const limits: ReadLimits = { ...DEFAULT_READ_LIMITS, maxMemberBytes: maxContentBytes, ...cfg.archives };
  return limits.maxDepth > 0 ? limits : undefined;
}

export function parseConfig(doc: unknown, file: string): Config {
  const cfg: Config = {
    file,
    defaultRules: true,
    disable: [],
    rules: [],
    maxContentBytes: DEFAULT_MAX_CONTENT,
    archives: {},
  };
  if (doc === null || doc === undefined) return cfg;
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new LeakguardError(`${file}: expected a mapping at the top level`);
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!CONFIG_KEYS.has(k))
      throw new LeakguardError(`${file}: unknown key '${k}' (expected ${[...CONFIG_KEYS].join(', ')})`);
  }
  if (o.default_rules !== undefined) {
    if (typeof o.default_rules !== 'boolean')
      throw new LeakguardError(`${file}: 'default_rules' must be true or false`);
    cfg.defaultRules = o.default_rules;
  }
  if (o.disable !== undefined) {
    if (!Array.isArray(o.disable) || o.disable.some((x) => typeof x !== 'string'))
      throw new LeakguardError(`${file}: 'disable' must be a list of rule ids`);
    cfg.disable = o.disable as string[];
  }
  if (o.rules !== undefined) {
    if (!Array.isArray(o.rules)) throw new LeakguardError(`${file}: 'rules' must be a list`);
    cfg.rules = o.rules.map((r, i) => validateRule(r, file, i, true));
  }
  if (o.allowlist !== undefined) {
    // validated through a throwaway rule so the rules are the same for both places
    cfg.allowlist = validateRule({ id: 'config-allowlist', allowlist: o.allowlist }, file, 0, true).allowlist;
  }
  if (o.max_content_size !== undefined)
    cfg.maxContentBytes = parseSize(o.max_content_size, `${file}: max_content_size`);
  if (o.archives !== undefined) cfg.archives = parseArchives(o.archives, file);
  if (o.baseline !== undefined) {
    if (typeof o.baseline !== 'string') throw new LeakguardError(`${file}: 'baseline' must be a file path`);
    cfg.baseline = o.baseline;
  }
  return cfg;
}

/** Reads `--config FILE`, or `.leakguard.yml` at the repository root when present. */
export async function loadConfig(root: string | undefined, explicit?: string): Promise<Config> {
  if (explicit) {
    const file = isAbsolute(explicit) ? explicit : resolve(explicit);
    return parseConfig(await parseYamlFile(file), file);
  }
  if (root) {
    const file = join(root, CONFIG_FILE);
    if (existsSync(file)) return parseConfig(await parseYamlFile(file), file);
  }
  return parseConfig(undefined, '(defaults)');
}

export interface RuleOptions {
  /** `--no-default-rules`: start from nothing but the config's own rules. */
  defaultRules?: boolean;
}

/** Rule fields that change what a rule matches or how its match is read. */
const MATCH_KEYS = ['regex', 'secret_group', 'multiline', 'allowlist', 'context', 'validate'] as const;

/** The effective rule list: defaults (unless turned off), then the config's overrides and additions, minus disabled ids. */
export async function effectiveRules(cfg: Config, opts: RuleOptions = {}): Promise<RuleSpec[]> {
  const useDefaults = (opts.defaultRules ?? true) && cfg.defaultRules;
  const byId = new Map<string, RuleSpec>();
  if (useDefaults) for (const s of await loadDefaultRules()) byId.set(s.id, s);
  for (const r of cfg.rules) {
    const base = byId.get(r.id);
    if (base) {
      const merged: RuleSpec = { ...base, ...r, source: r.source };
      // an override of what the rule matches is the user's: it runs under the guard like any user
      // rule and is checked whole at start-up (shipped rules are checked by the tests, and lazily)
      merged.builtin = base.builtin && !MATCH_KEYS.some((k) => r[k] !== undefined);
      byId.set(r.id, merged);
    } else {
      checkShape(r);
      byId.set(r.id, r);
    }
  }
  const unknown = cfg.disable.filter((id) => !byId.has(id));
  if (unknown.length && useDefaults)
    throw new LeakguardError(`${cfg.file}: 'disable' names unknown rule(s): ${unknown.join(', ')}`);
  for (const id of cfg.disable) byId.delete(id);
  return [...byId.values()];
}

export async function buildRuleset(cfg: Config, opts: RuleOptions = {}): Promise<Ruleset> {
  return compileRuleset(await effectiveRules(cfg, opts), cfg.allowlist, cfg.file ?? 'config');
}
