/**
 * simple-git-hooks: each hook is one command string in package.json (or .simple-git-hooks.json),
 * and `simple-git-hooks` writes them into the git hooks. leakguard's command goes first,
 * joined with `&&`; uninstall takes exactly that back off.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LeakguardError } from '../../errors.js';
import { commandLine, HOOK_NAMES, type HookName } from '../hook-commands.js';
import { readText, type HookManager, type ManagerContext } from './context.js';

const KEY = 'simple-git-hooks';
const OWN_FILES = ['.simple-git-hooks.json', 'simple-git-hooks.json'];
const JOIN = ' && ';

interface Located {
  file: string;
  json: Record<string, unknown>;
  config: Record<string, unknown>;
  indent: string;
  raw: string;
}

function locate(ctx: ManagerContext): Located | undefined {
  for (const name of OWN_FILES) {
    const file = join(ctx.root, name);
    const raw = readText(file);
    if (raw !== undefined) {
      const json = parse(raw, name);
      return { file, json, config: json, indent: indentOf(raw), raw };
    }
  }
  const file = join(ctx.root, 'package.json');
  const raw = readText(file);
  if (raw === undefined) return undefined;
  const json = parse(raw, 'package.json');
  const config = json[KEY];
  if (!config || typeof config !== 'object') return undefined;
  return { file, json, config: config as Record<string, unknown>, indent: indentOf(raw), raw };
}

function parse(raw: string, name: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new LeakguardError(`${name}: invalid JSON; fix it before installing`);
  }
}

function indentOf(raw: string): string {
  return /\n([ \t]+)"/.exec(raw)?.[1] ?? '  ';
}

function save(l: Located): void {
  writeFileSync(l.file, `${JSON.stringify(l.json, null, l.indent)}${l.raw.endsWith('\n') ? '\n' : ''}`);
}

const ours = (ctx: ManagerContext, hook: HookName) => commandLine(ctx.runner, hook);

/** Runs the project's own simple-git-hooks, if it has one, so the git hooks match the config now. */
function apply(ctx: ManagerContext): string {
  const bin = join(ctx.root, 'node_modules', '.bin', 'simple-git-hooks');
  if (!existsSync(bin)) return "run 'npx simple-git-hooks' to write the git hooks";
  const r = spawnSync(bin, [], {
    cwd: ctx.root,
    encoding: 'utf8',
    env: { ...process.env, SKIP_INSTALL_SIMPLE_GIT_HOOKS: undefined },
  });
  if (r.status !== 0)
    throw new LeakguardError(`simple-git-hooks failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return "ran 'simple-git-hooks'";
}

export const simpleGitHooks: HookManager = {
  name: 'simple-git-hooks',
  detect: (ctx) => locate(ctx) !== undefined,

  async install(ctx, hooks) {
    const l = locate(ctx)!;
    for (const hook of hooks) {
      const cmd = ours(ctx, hook);
      const current = typeof l.config[hook] === 'string' ? (l.config[hook] as string) : undefined;
      const rest = current === undefined ? undefined : stripOurs(ctx, hook, current);
      l.config[hook] = rest ? `${cmd}${JOIN}${rest}` : cmd;
    }
    save(l);
    return {
      messages: [`${hooks.join(', ')}: leakguard added to the ${KEY} config in ${basename(l.file)}; ${apply(ctx)}`],
    };
  },

  async uninstall(ctx) {
    const l = locate(ctx);
    if (!l) return undefined;
    let changed = false;
    for (const hook of HOOK_NAMES) {
      const current = l.config[hook];
      if (typeof current !== 'string') continue;
      const rest = stripOurs(ctx, hook, current);
      if (rest === current) continue;
      changed = true;
      if (rest) l.config[hook] = rest;
      else delete l.config[hook];
    }
    if (!changed) return undefined;
    save(l);
    return { messages: [`removed leakguard from the ${KEY} config in ${basename(l.file)}; ${apply(ctx)}`] };
  },
};

/** The command string without leakguard's part (whichever runner it was installed with). */
function stripOurs(ctx: ManagerContext, hook: HookName, current: string): string {
  for (const runner of new Set([ctx.runner, 'leakguard', 'node_modules/.bin/leakguard'])) {
    const cmd = commandLine(runner, hook);
    if (current === cmd) return '';
    if (current.startsWith(`${cmd}${JOIN}`)) return current.slice(cmd.length + JOIN.length);
  }
  return current;
}
