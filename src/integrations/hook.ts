/**
 * Plain git hooks, for repositories without a hook manager. They honour core.hooksPath, chain an
 * existing hook instead of replacing it, and uninstall puts back exactly what was there. These
 * files live in the hooks directory, never in a tracked file, so they may name this machine's
 * node and leakguard.
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LeakguardError } from '../errors.js';
import { git } from '../sources/git.js';
import { HOOK_COMMANDS, HOOK_NAMES, type HookName } from './hook-commands.js';

export const HOOK_MARKER = '# leakguard-hook v1';
const chainedName = (hook: HookName) => `${hook}.leakguard-chained`;

export async function hooksDir(cwd: string): Promise<string> {
  const out = await git(['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], cwd);
  return out.toString('utf8').trim();
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function hookScript(nodePath: string, binPath: string, hook: HookName = 'pre-commit'): string {
  const c = HOOK_COMMANDS[hook];
  const args = [...c.args, ...(c.takesFirstArg ? ['"$1"'] : [])].join(' ');
  const chained = chainedName(hook);
  // pre-push reads git's ref lines on stdin: both the chained hook and leakguard need them
  const feed = c.readsStdin ? `printf '%s\\n' "$push_lines" | ` : '';
  const run = (cmd: string) => (c.readsStdin ? `${feed}${cmd} ${args}; exit $?` : `exec ${cmd} ${args}`);
  return `#!/bin/sh
${HOOK_MARKER}
# Installed by 'leakguard hook install'; 'leakguard hook uninstall' removes it and restores any
# hook it chained. Checks ${c.what} for secrets, credential files and oversized artifacts.
# To skip it once: git ${hook === 'pre-push' ? 'push' : 'commit'} --no-verify
hook_dir=$(dirname "$0")
${c.readsStdin ? 'push_lines=$(cat)\n' : ''}if [ -x "$hook_dir/${chained}" ]; then
  ${feed}"$hook_dir/${chained}" "$@" || exit $?
fi
LEAKGUARD_NODE=${shQuote(nodePath)}
LEAKGUARD_BIN=${shQuote(binPath)}
if [ -x "$LEAKGUARD_NODE" ] && [ -f "$LEAKGUARD_BIN" ]; then
  ${run('"$LEAKGUARD_NODE" "$LEAKGUARD_BIN"')}
elif command -v leakguard >/dev/null 2>&1; then
  ${run('leakguard')}
fi
echo "leakguard ${hook} hook: leakguard is not installed at $LEAKGUARD_BIN; reinstall the hook with 'npx leakguard hook install' (or skip once with --no-verify)" >&2
exit 2
`;
}

export interface HookResult {
  hookPath: string;
  chained?: string;
  action: 'installed' | 'updated' | 'uninstalled' | 'restored';
}

/** Checks, before anything is written, that every hook can be installed. */
async function planInstall(dir: string, hooks: readonly HookName[]): Promise<void> {
  for (const hook of hooks) {
    const path = join(dir, hook);
    if (
      existsSync(path) &&
      !readFileSync(path, 'utf8').includes(HOOK_MARKER) &&
      existsSync(join(dir, chainedName(hook)))
    ) {
      throw new LeakguardError(`${join(dir, chainedName(hook))} already exists; move it away before installing`);
    }
  }
}

export async function installHooks(
  cwd: string,
  binPath: string,
  hooks: readonly HookName[],
  nodePath = process.execPath,
): Promise<HookResult[]> {
  const dir = await hooksDir(cwd);
  await planInstall(dir, hooks);
  mkdirSync(dir, { recursive: true });
  return hooks.map((hook) => {
    const path = join(dir, hook);
    const chained = join(dir, chainedName(hook));
    let action: HookResult['action'] = 'installed';
    if (existsSync(path)) {
      if (readFileSync(path, 'utf8').includes(HOOK_MARKER)) action = 'updated';
      else renameSync(path, chained);
    }
    writeFileSync(path, hookScript(nodePath, binPath, hook));
    chmodSync(path, 0o755);
    return { hookPath: path, chained: existsSync(chained) ? chained : undefined, action };
  });
}

/** Removes every leakguard hook in the hooks directory (restoring what each chained); none found is an empty list. */
export async function uninstallHooks(cwd: string, dir?: string): Promise<HookResult[]> {
  dir ??= await hooksDir(cwd);
  const out: HookResult[] = [];
  for (const hook of HOOK_NAMES) {
    const path = join(dir, hook);
    const chained = join(dir, chainedName(hook));
    if (!existsSync(path) || !readFileSync(path, 'utf8').includes(HOOK_MARKER)) continue;
    rmSync(path);
    if (existsSync(chained)) {
      renameSync(chained, path);
      out.push({ hookPath: path, chained, action: 'restored' });
    } else out.push({ hookPath: path, action: 'uninstalled' });
  }
  return out;
}

/** The pre-commit hook alone (the library API before the other hooks existed). */
export async function installHook(cwd: string, binPath: string, nodePath = process.execPath): Promise<HookResult> {
  return (await installHooks(cwd, binPath, ['pre-commit'], nodePath))[0]!;
}

export async function uninstallHook(cwd: string): Promise<HookResult> {
  const r = await uninstallHooks(cwd);
  if (!r.length) throw new LeakguardError(`no leakguard hook in ${await hooksDir(cwd)}; nothing to uninstall`);
  return r[0]!;
}
