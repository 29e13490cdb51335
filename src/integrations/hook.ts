/**
 * The pre-commit hook. It honours core.hooksPath, chains an existing hook instead of replacing it,
 * and uninstall puts back exactly what was there.
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LeakguardError } from '../errors.js';
import { git } from '../sources/git.js';

export const HOOK_MARKER = '# leakguard-hook v1';
const CHAINED = 'pre-commit.leakguard-chained';

export async function hooksDir(cwd: string): Promise<string> {
  const out = await git(['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], cwd);
  return out.toString('utf8').trim();
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function hookScript(nodePath: string, binPath: string): string {
  return `#!/bin/sh
${HOOK_MARKER}
# Installed by 'leakguard hook install'; 'leakguard hook uninstall' removes it and restores any
# hook it chained. Blocks a commit whose staged content holds secrets, credential files or
# oversized artifacts. To skip it once: git commit --no-verify
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/${CHAINED}" ]; then
  "$hook_dir/${CHAINED}" "$@" || exit $?
fi
LEAKGUARD_NODE=${shQuote(nodePath)}
LEAKGUARD_BIN=${shQuote(binPath)}
if [ -x "$LEAKGUARD_NODE" ] && [ -f "$LEAKGUARD_BIN" ]; then
  exec "$LEAKGUARD_NODE" "$LEAKGUARD_BIN" scan --staged --quiet
elif command -v leakguard >/dev/null 2>&1; then
  exec leakguard scan --staged --quiet
fi
echo "leakguard pre-commit hook: leakguard is not installed at $LEAKGUARD_BIN; reinstall the hook with 'npx leakguard hook install' (or skip once with 'git commit --no-verify')" >&2
exit 2
`;
}

export interface HookResult { hookPath: string; chained?: string; action: 'installed' | 'updated' | 'uninstalled' | 'restored' }

export async function installHook(cwd: string, binPath: string, nodePath = process.execPath): Promise<HookResult> {
  const dir = await hooksDir(cwd);
  mkdirSync(dir, { recursive: true });
  const hook = join(dir, 'pre-commit');
  const chained = join(dir, CHAINED);
  let action: HookResult['action'] = 'installed';
  if (existsSync(hook)) {
    const current = readFileSync(hook, 'utf8');
    if (current.includes(HOOK_MARKER)) action = 'updated';
    else {
      if (existsSync(chained)) throw new LeakguardError(`${chained} already exists; move it away before installing`);
      renameSync(hook, chained);
    }
  }
  writeFileSync(hook, hookScript(nodePath, binPath));
  chmodSync(hook, 0o755);
  return { hookPath: hook, chained: existsSync(chained) ? chained : undefined, action };
}

export async function uninstallHook(cwd: string): Promise<HookResult> {
  const dir = await hooksDir(cwd);
  const hook = join(dir, 'pre-commit');
  const chained = join(dir, CHAINED);
  if (!existsSync(hook) || !readFileSync(hook, 'utf8').includes(HOOK_MARKER)) {
    throw new LeakguardError(`no leakguard pre-commit hook in ${dir}; nothing to uninstall`);
  }
  rmSync(hook);
  if (existsSync(chained)) {
    renameSync(chained, hook);
    return { hookPath: hook, chained, action: 'restored' };
  }
  return { hookPath: hook, action: 'uninstalled' };
}
