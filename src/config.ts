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
}

const CONFIG_KEYS = new Set(['default_rules', 'disable', 'rules', 'allowlist', 'max_content_size', 'baseline']);

export function parseConfig(doc: unknown, file: string): Config {
  const cfg: Config = { file, defaultRules: true, disable: [], rules: [], maxContentBytes: DEFAULT_MAX_CONTENT };
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
