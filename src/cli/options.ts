/**
 * Every command-line option, declared once with its help text; commands pick theirs by name. Values
 * are validated here, before any command runs (a bad value is a usage error, never a side effect).
 */
import type { Options } from 'yargs';
import { HOOK_NAMES } from '../integrations/hook-commands.js';
import { nearest } from './suggest.js';

/** Raised by a coerce function: yargs hands it to the failure handler as a usage error. */
function positiveInteger(flag: string) {
  return (v: unknown) => {
    if (v === undefined) return v;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || String(v).trim() === '')
      throw new Error(`--${flag} takes a whole number of 1 or more, not '${String(v)}'`);
    return n;
  };
}

function hookList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const names = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!names.length) throw new Error(`--hooks needs at least one of ${HOOK_NAMES.join(', ')}`);
  for (const n of names) {
    if (!(HOOK_NAMES as readonly string[]).includes(n)) {
      const near = nearest(n, HOOK_NAMES);
      throw new Error(
        `--hooks: '${n}' is not one of ${HOOK_NAMES.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`,
      );
    }
  }
  return [...new Set(names)];
}

const text = (describe: string, extra: Options = {}): Options => ({
  type: 'string',
  requiresArg: true,
  describe,
  ...extra,
});
const flag = (describe: string, dflt = false, extra: Options = {}): Options => ({
  type: 'boolean',
  default: dflt,
  describe,
  ...extra,
});

export const SCAN_FORMATS = ['text', 'json', 'sarif', 'gitlab'] as const;
export const PLAN_FORMATS = ['md', 'sh', 'json', 'text'] as const;

export const OPTIONS = {
  // what every scanning command shares
  config: text('Config file (default: .leakguard.yml at the repository root)', { alias: 'c' }),
  'default-rules': flag("Use the shipped rule pack (--no-default-rules: only the config's rules)", true),
  'max-content-size': text(
    'Largest file whose content is scanned (e.g. 25MB); larger ones get path and size rules only',
  ),
  quiet: flag('Print nothing when there are no findings', false, { alias: 'q' }),
  color: {
    type: 'boolean',
    describe: 'Colour the text report (default: on a terminal, unless NO_COLOR is set or TERM=dumb; --no-color: never)',
  },
  // scan
  format: text('Report format', { alias: 'f', choices: SCAN_FORMATS, default: 'text' }),
  output: text('Write the report to FILE instead of stdout', { alias: 'o' }),
  baseline: text('Drop findings recorded in this baseline file', { alias: 'b' }),
  redact: flag('Redact secrets in output (--no-redact shows them)', true),
  staged: flag('Scan exactly what the next commit would contain'),
  history: flag('Scan everything reachable from every ref, deleted files included'),
  range: text('Scan what the commits of a revision range introduced (e.g. origin/main..HEAD)'),
  'all-objects': flag('With --history: also unreachable objects (dropped stashes, deleted branches, amended commits)'),
  workers: {
    ...text('Threads for history content (default: one per core)'),
    coerce: positiveInteger('workers'),
  } as Options,
  engine: text(
    'How history is read: git plumbing, or isomorphic-git (no git binary needed; automatic when git is missing)',
    { choices: ['git', 'isomorphic'] },
  ),
  'min-confidence': text(
    'Report only findings at least this sure (high: checksum-valid or vendor-prefixed; low: guesses from a variable name)',
    { choices: ['high', 'medium', 'low'] },
  ),
  cache: text(
    'Keep the history scan cache in DIR (default: leakguard/scan-cache in the git directory); --no-cache scans without one',
  ),
  'commit-msg': text("Scan a commit message file (git's comment lines are left out): what the commit-msg hook runs"),
  'pre-push': text(
    "Scan the commits a push would send that REMOTE does not have (reads git's pre-push lines on stdin): what the pre-push hook runs",
  ),
  // baseline
  'baseline-output': text('Baseline file (default: .leakguard-baseline.json at the repository root)', { alias: 'o' }),
  'baseline-history': flag('Record what a history scan finds, at every path it occurs at'),
  // gitignore
  check: flag('Change nothing; exit 1 and list the missing entries if any'),
  untrack: flag('Also git rm --cached the tracked files the new entries cover'),
  // purge
  plan: flag('Write the plan (the only thing purge does on its own)'),
  'plan-format': text('md for people, sh to run, json as data', { alias: 'f', choices: PLAN_FORMATS, default: 'md' }),
  'plan-output': text('Write the plan to FILE (an sh plan is made executable)', { alias: 'o' }),
  from: text('Plan from a saved history report (leakguard scan --history --format json) instead of a fresh scan'),
  verify: flag('Used by the generated purge script: check a rewritten mirror against the plan', false, {
    hidden: true,
  }),
  'write-replacements': text('Used by the generated purge script: write the replacement expressions to FILE', {
    hidden: true,
  }),
  'plan-file': text('Used by the generated purge script: the JSON plan', { hidden: true }),
  old: text('Used by the generated purge script: the original mirror', { hidden: true }),
  new: text('Used by the generated purge script: the rewritten mirror', { hidden: true }),
  replacements: text('Used by the generated purge script: the replacement expressions file', { hidden: true }),
  step: text('Used by the generated purge script: run one of its steps (backup, rewrite, verify, push, ...)', {
    hidden: true,
  }),
  state: text("Used by the generated purge script: the directory of the purge's state file", { hidden: true }),
  // import
  'import-output': text(
    "Where the converted config goes (default: .leakguard.yml at the repository root; '-' prints it)",
    { alias: 'o' },
  ),
  force: flag('Replace an existing output file'),
  // hook
  hooks: {
    ...text(`Which git hooks, comma-separated: ${HOOK_NAMES.join(', ')} (default: all of them)`),
    coerce: hookList,
  } as Options,
} satisfies Record<string, Options>;

/** Options whose flag differs from their table key (one flag, different meanings per command). */
const FLAG_OF: Partial<Record<keyof typeof OPTIONS, string>> = {
  'baseline-output': 'output',
  'baseline-history': 'history',
  'plan-format': 'format',
  'plan-output': 'output',
  'import-output': 'output',
};

export type OptionKey = keyof typeof OPTIONS;

/** The flag names and their declarations, for one command. */
export function pick(keys: OptionKey[]): Record<string, Options> {
  return Object.fromEntries(keys.map((k) => [FLAG_OF[k] ?? k, OPTIONS[k]]));
}

export const COMMON_SCAN: OptionKey[] = ['config', 'default-rules', 'max-content-size', 'quiet'];
export const SCAN_KEYS: OptionKey[] = [
  'staged',
  'history',
  'range',
  'commit-msg',
  'pre-push',
  'all-objects',
  'cache',
  'workers',
  'engine',
  'min-confidence',
  'format',
  'output',
  'baseline',
  'redact',
  'color',
  ...COMMON_SCAN,
];
export const BASELINE_KEYS: OptionKey[] = ['baseline-output', 'baseline-history', ...COMMON_SCAN];
export const GITIGNORE_KEYS: OptionKey[] = ['check', 'untrack', ...COMMON_SCAN];
export const PURGE_KEYS: OptionKey[] = [
  'plan',
  'plan-format',
  'plan-output',
  'from',
  ...COMMON_SCAN,
  'verify',
  'write-replacements',
  'plan-file',
  'old',
  'new',
  'replacements',
  'step',
  'state',
];
export const HOOK_KEYS: OptionKey[] = ['hooks'];
export const CACHE_KEYS: OptionKey[] = ['cache'];
export const RULES_KEYS: OptionKey[] = ['config', 'default-rules'];
export const IMPORT_KEYS: OptionKey[] = ['import-output', 'force'];

/** Each command's options: what yargs declares for it, what suggestions and repeat checks read. */
export const COMMAND_KEYS: Record<string, OptionKey[]> = {
  scan: SCAN_KEYS,
  baseline: BASELINE_KEYS,
  gitignore: GITIGNORE_KEYS,
  purge: PURGE_KEYS,
  hook: HOOK_KEYS,
  rules: RULES_KEYS,
  import: IMPORT_KEYS,
  cache: CACHE_KEYS,
};

/** Flag names (with aliases) a command accepts, for the nearest-spelling suggestion. */
export function flagNames(keys: OptionKey[]): string[] {
  return [...Object.keys(pick(keys)), 'help', 'version'];
}
