/** Loading rule files: the shipped pack under `rules/`, and any YAML rule file a user names. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { LeakguardError } from '../errors.js';
import { rulesFromDocument, type RuleSpec } from './rule-spec.js';

/** The package root: found by walking up from this module (it runs from src/ in tests and dist/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'rules')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new LeakguardError('cannot find the default rule pack (rules/) next to the leakguard package');
}

export function defaultRulesDir(): string {
  return join(packageRoot(), 'rules');
}

export function parseYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LeakguardError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  try {
    return yaml.load(text, { filename: file });
  } catch (e) {
    const reason = (e as { reason?: string; mark?: { line: number } });
    throw new LeakguardError(`${file}: invalid YAML${reason.mark ? ` at line ${reason.mark.line + 1}` : ''}: ${reason.reason ?? (e as Error).message}`);
  }
}

export function loadRuleFile(file: string, builtin = false): RuleSpec[] {
  const specs = rulesFromDocument(parseYamlFile(file), file);
  if (builtin) for (const s of specs) s.builtin = true;
  return specs;
}

let cachedDefaults: RuleSpec[] | undefined;

/** The shipped rule pack, one YAML file per family. */
export function loadDefaultRules(dir = defaultRulesDir()): RuleSpec[] {
  if (dir === defaultRulesDir() && cachedDefaults) return cachedDefaults.map((s) => ({ ...s }));
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const specs: RuleSpec[] = [];
  const ids = new Map<string, string>();
  for (const f of files) {
    for (const s of loadRuleFile(join(dir, f), true)) {
      const prev = ids.get(s.id);
      if (prev) throw new LeakguardError(`${join(dir, f)}: rule '${s.id}' is already defined in ${prev}`);
      ids.set(s.id, f);
      specs.push(s);
    }
  }
  if (dir === defaultRulesDir()) cachedDefaults = specs;
  return specs.map((s) => ({ ...s }));
}
