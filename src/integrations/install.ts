/**
 * `leakguard hook install|uninstall`: finds the hook manager the repository uses and integrates
 * the way that manager expects (its own re-install then keeps leakguard), or writes plain git
 * hooks when there is none.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LeakguardError } from '../errors.js';
import { gitRaw, openRepo } from '../sources/git.js';
import { DEFAULT_HOOKS, type HookName } from './hook-commands.js';
import { hooksDir, installHooks as installPlainHooks, uninstallHooks as uninstallPlainHooks } from './hook.js';
import { LOCAL_RUNNER, readText, type HookManager, type ManagerContext } from './managers/context.js';
import { husky } from './managers/husky.js';
import { husky4 } from './managers/husky4.js';
import { lefthook } from './managers/lefthook.js';
import { preCommit } from './managers/pre-commit.js';
import { simpleGitHooks } from './managers/simple-git-hooks.js';

/** In the order they are looked for: the one that owns core.hooksPath first. */
export const MANAGERS: HookManager[] = [husky, husky4, lefthook, preCommit, simpleGitHooks];

async function context(cwd: string): Promise<ManagerContext & { dir: string }> {
  const repo = await openRepo(cwd);
  if (!repo.root) throw new LeakguardError('git hooks need a work tree; this is a bare repository');
  const hp = await gitRaw(['config', '--get', 'core.hooksPath'], { cwd: repo.root });
  const pkgText = readText(join(repo.root, 'package.json'));
  let pkg: Record<string, unknown> | undefined;
  try {
    pkg = pkgText ? JSON.parse(pkgText) : undefined;
  } catch {
    pkg = undefined;
  }
  return {
    root: repo.root,
    dir: await hooksDir(repo.root),
    hooksPath: hp.code === 0 ? hp.stdout.toString('utf8').trim() || undefined : undefined,
    pkg,
    runner: existsSync(join(repo.root, LOCAL_RUNNER)) ? LOCAL_RUNNER : 'leakguard',
  };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

export interface HookChange {
  manager: string;
  messages: string[];
}

export async function installHooks(
  cwd: string,
  opts: { bin: string; hooks?: readonly HookName[]; node?: string },
): Promise<HookChange> {
  const ctx = await context(cwd);
  const hooks = opts.hooks ?? DEFAULT_HOOKS;
  const manager = MANAGERS.find((m) => m.detect(ctx));
  if (!manager) {
    const results = await installPlainHooks(ctx.root, opts.bin, hooks, opts.node);
    return {
      manager: 'git',
      messages: results.map(
        (r) =>
          `${r.hookPath.split('/').pop()} hook ${r.action} at ${r.hookPath}${r.chained ? ` (runs the existing hook first, kept as ${r.chained})` : ''}`,
      ),
    };
  }
  manager.check?.(ctx, hooks);
  // plain hooks from an earlier install would run twice (or be renamed away by the manager)
  const dropped = await uninstallPlainHooks(ctx.root, ctx.dir);
  const change = await manager.install(ctx, hooks);
  const messages = [
    ...dropped.map((r) => `removed the plain ${r.hookPath.split('/').pop()} hook (${manager.name} runs leakguard now)`),
    ...change.messages,
  ];
  if (ctx.runner === 'leakguard' && !onPath('leakguard')) {
    messages.push(
      `warning: leakguard is neither in node_modules/.bin nor on PATH; add it to the project (npm install --save-dev leakguard) or the hooks will fail`,
    );
  }
  return { manager: manager.name, messages };
}

export async function uninstallHooks(cwd: string): Promise<HookChange> {
  const ctx = await context(cwd);
  const messages: string[] = [];
  let manager = 'git';
  for (const m of MANAGERS) {
    const r = await m.uninstall(ctx);
    if (r) {
      messages.push(...r.messages);
      manager = m.name;
    }
  }
  for (const r of await uninstallPlainHooks(ctx.root, ctx.dir)) {
    messages.push(
      `${r.hookPath.split('/').pop()} hook removed from ${r.hookPath}${r.action === 'restored' ? '; the previous hook is back in place' : ''}`,
    );
  }
  if (!messages.length)
    throw new LeakguardError(
      `no leakguard hook installed (looked in ${ctx.dir} and the hook managers' files); nothing to uninstall`,
    );
  return { manager, messages };
}
