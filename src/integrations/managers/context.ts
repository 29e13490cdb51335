/** What every hook-manager integration is handed: the repository, and how a tracked file should run leakguard. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeakguardError } from '../../errors.js';
import type { HookName } from '../hook-commands.js';

export interface ManagerContext {
  root: string;
  /** core.hooksPath as configured (relative paths as written), if set. */
  hooksPath?: string;
  /** package.json, parsed, if the repository has one at its root. */
  pkg?: Record<string, unknown>;
  /**
   * How a tracked file runs leakguard, portable across machines: the project's own copy
   * (`node_modules/.bin/leakguard`, relative to the root where git runs hooks) when it has one,
   * else `leakguard` from PATH. Never an absolute path.
   */
  runner: string;
}

export interface ManagerChange {
  /** One line per change, for the user. */
  messages: string[];
}

export interface HookManager {
  name: string;
  detect(ctx: ManagerContext): boolean;
  /**
   * Throws when this repository's configuration cannot take leakguard, before anything is
   * written (install drops plain hooks and runs the manager's own install only after it).
   */
  check?(ctx: ManagerContext, hooks: readonly HookName[]): void;
  install(ctx: ManagerContext, hooks: readonly HookName[]): Promise<ManagerChange>;
  /** Undefined when this manager's files hold nothing of leakguard's. */
  uninstall(ctx: ManagerContext): Promise<ManagerChange | undefined>;
}

export const LOCAL_RUNNER = 'node_modules/.bin/leakguard';

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LeakguardError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function firstExisting(root: string, names: string[]): string | undefined {
  return names.map((n) => join(root, n)).find((p) => existsSync(p));
}

/** A package's declared version range in package.json, from any dependency list. */
export function dependencyRange(pkg: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const key of ['devDependencies', 'dependencies', 'optionalDependencies']) {
    const deps = pkg?.[key] as Record<string, string> | undefined;
    if (deps && typeof deps[name] === 'string') return deps[name];
  }
  return undefined;
}
