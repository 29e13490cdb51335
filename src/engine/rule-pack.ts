/** Loading rule files: the shipped pack under `rules/`, and any YAML rule file a user names. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeakguardError } from '../errors.js';
import { rulesFromDocument, type RuleSpec } from './rule-spec.js';
import { compileRuleset, globToRegex, seedGlobCache } from './compile.js';
import { countAnchors, knownAnchors, seedAnchors } from './keyword-filter.js';

let foundRoot: string | undefined;

/**
 * The package root: found by walking up from this module (it runs from src/ in tests and dist/ when
 * built), once per process; a scan asks for it several times while it reads the pack.
 */
export function packageRoot(): string {
  if (foundRoot) return foundRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'rules')) && existsSync(join(dir, 'package.json'))) return (foundRoot = dir);
    dir = dirname(dir);
  }
  throw new LeakguardError('cannot find the default rule pack (rules/) next to the leakguard package');
}

export function defaultRulesDir(): string {
  return join(packageRoot(), 'rules');
}

/** Parses a YAML file; js-yaml is loaded on first use, since most runs have no YAML to read. */
export async function parseYamlFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LeakguardError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`,
    );
  }
  const yaml = (await import('js-yaml')).default;
  try {
    return yaml.load(text, { filename: file });
  } catch (e) {
    const reason = e as { reason?: string; mark?: { line: number } };
    throw new LeakguardError(
      `${file}: invalid YAML${reason.mark ? ` at line ${reason.mark.line + 1}` : ''}: ${reason.reason ?? (e as Error).message}`,
    );
  }
}

export async function loadRuleFile(file: string, builtin = false): Promise<RuleSpec[]> {
  const specs = rulesFromDocument(await parseYamlFile(file), file);
  if (builtin) for (const s of specs) s.builtin = true;
  return specs;
}

/** The shipped pack as read once per process: with its examples (from YAML), or without (the build's copy). */
let cachedDefaults: { specs: RuleSpec[]; examples: boolean } | undefined;

/**
 * The build's precompiled copy of the pack: validated specs plus glob regexes (see scripts/build.mjs).
 * It leaves out the rules' examples (two fifths of the pack's bytes, read by `rules check` and the
 * tests from the YAML files), names each rule's file relative to the package, and is ASCII, so
 * start-up reads it without decoding UTF-8.
 */
export const PACK_FILE = 'dist/rules.json';

export interface CompiledPack {
  specs: RuleSpec[];
  globs: [string, string, string][];
  /** Each pack keyword's anchoring triple (see keyword-filter.ts). */
  anchors?: [word: string, offset: number][];
}

/**
 * `sample`: ordinary text to count keyword quads in, so each keyword is anchored on its rarest (see
 * countAnchors); without it, anchors are guessed from character frequencies.
 */
export function precompilePack(specs: RuleSpec[], sample?: Uint8Array[]): CompiledPack {
  if (sample) {
    const keywords = specs.filter((s) => s.regex).flatMap((s) => s.keywords ?? []);
    seedAnchors(countAnchors(keywords, sample));
  }
  const ruleset = compileRuleset(specs);
  void ruleset.keywordIndex; // works out every keyword's anchor, saved below
  const globs = new Set<string>();
  for (const s of specs)
    for (const g of [...(s.paths ?? []), ...(s.exclude_paths ?? []), ...(s.allowlist?.paths ?? [])]) globs.add(g);
  const root = packageRoot();
  return {
    specs: specs.map(({ examples: _e, negative_examples: _n, ...spec }) => ({
      ...spec,
      source: spec.source && isAbsolute(spec.source) ? relative(root, spec.source).split(sep).join('/') : spec.source,
    })),
    globs: [...globs].map((g) => {
      const re = globToRegex(g, `rules: glob ${g}`);
      return [g, re.source, re.flags];
    }),
    anchors: knownAnchors().filter(([w]) => ruleset.byKeyword.has(w)),
  };
}

/** The precompiled pack, when it exists and is newer than every rule file. */
function readPrecompiled(dir: string): RuleSpec[] | undefined {
  const file = join(packageRoot(), PACK_FILE);
  let packTime: number;
  try {
    packTime = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  for (const f of readdirSync(dir)) if (statSync(join(dir, f)).mtimeMs > packTime) return undefined;
  const pack = JSON.parse(readFileSync(file, 'latin1')) as CompiledPack;
  seedGlobCache(pack.globs);
  if (pack.anchors) seedAnchors(pack.anchors);
  // the pack names each file relative to the package with '/' (a plain concatenation here: path.join
  // on every rule cost a pre-commit run about a millisecond)
  const root = packageRoot() + sep;
  const local = sep === '/' ? (f: string) => f : (f: string) => f.replaceAll('/', sep);
  for (const spec of pack.specs) if (spec.source && !isAbsolute(spec.source)) spec.source = root + local(spec.source);
  return pack.specs;
}

/** The pack as JSON text in ASCII only (what readPrecompiled reads as latin1). */
export function packJson(pack: CompiledPack): string {
  return JSON.stringify(pack).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The shipped rule pack, one YAML file per family. `examples`: with each rule's examples and
 * negative examples, which only checking the rules needs (they are read from the YAML files then;
 * a scan reads the build's copy without them).
 */
export async function loadDefaultRules(
  dir = defaultRulesDir(),
  opts: { examples?: boolean } = {},
): Promise<RuleSpec[]> {
  return (await readRules(dir, opts)).map((s) => ({ ...s }));
}

/** Reads the shipped pack into its cache without handing out copies: for a caller that only wants it read early. */
export async function preloadDefaultRules(): Promise<void> {
  await readRules(defaultRulesDir(), {});
}

/** The rules of `dir`; the shipped pack's are cached and must not be changed by the caller. */
async function readRules(dir: string, opts: { examples?: boolean }): Promise<RuleSpec[]> {
  const isDefault = dir === defaultRulesDir();
  if (isDefault && cachedDefaults && (cachedDefaults.examples || !opts.examples)) return cachedDefaults.specs;
  const pre = isDefault && !opts.examples ? readPrecompiled(dir) : undefined;
  if (pre) {
    cachedDefaults = { specs: pre, examples: false };
    return pre;
  }
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const specs: RuleSpec[] = [];
  const ids = new Map<string, string>();
  for (const f of files) {
    for (const s of await loadRuleFile(join(dir, f), true)) {
      const prev = ids.get(s.id);
      if (prev) throw new LeakguardError(`${join(dir, f)}: rule '${s.id}' is already defined in ${prev}`);
      ids.set(s.id, f);
      specs.push(s);
    }
  }
  if (isDefault) cachedDefaults = { specs, examples: true };
  return specs;
}
