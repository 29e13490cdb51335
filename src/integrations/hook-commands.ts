/**
 * The git hooks leakguard can run from, and the command each one runs. Hook managers and plain git
 * hooks share this table, so every integration checks the same thing at the same point.
 */

export const HOOK_NAMES = ['pre-commit', 'pre-merge-commit', 'commit-msg', 'pre-push'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Installed when `--hooks` is not given: every hook, so merges, messages and pushes are covered too. */
export const DEFAULT_HOOKS: readonly HookName[] = HOOK_NAMES;

/**
 * What git hands each hook, and how the command receives it: pre-commit and pre-merge-commit see
 * the index; commit-msg gets the message file as its first argument; pre-push gets the remote's
 * name as its first argument and one line per pushed ref on stdin.
 */
export interface HookCommand {
  /** leakguard's arguments, before the hook's own. */
  args: string[];
  /** The hook's first argument is appended (commit-msg: the message file; pre-push: the remote). */
  takesFirstArg: boolean;
  /** The hook reads git's lines on stdin (pre-push). */
  readsStdin: boolean;
  /** What it catches, for messages. */
  what: string;
}

export const HOOK_COMMANDS: Record<HookName, HookCommand> = {
  'pre-commit': {
    args: ['scan', '--staged', '--quiet'],
    takesFirstArg: false,
    readsStdin: false,
    what: 'staged content',
  },
  'pre-merge-commit': {
    args: ['scan', '--staged', '--quiet'],
    takesFirstArg: false,
    readsStdin: false,
    what: 'what a merge brings in',
  },
  'commit-msg': {
    args: ['scan', '--quiet', '--commit-msg'],
    takesFirstArg: true,
    readsStdin: false,
    what: 'commit messages',
  },
  'pre-push': {
    args: ['scan', '--quiet', '--pre-push'],
    takesFirstArg: true,
    readsStdin: true,
    what: 'every commit a push sends',
  },
};

/** The command line a shell-based manager runs (`first` is how that manager spells the hook's first argument). */
export function commandLine(runner: string, hook: HookName, first = '"$1"'): string {
  const c = HOOK_COMMANDS[hook];
  return [runner, ...c.args, ...(c.takesFirstArg ? [first] : [])].join(' ');
}
