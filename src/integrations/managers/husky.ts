/**
 * husky. Version 9 points core.hooksPath at `.husky/_`, whose stubs (rewritten by every `husky`
 * run, on each `npm install`) run the tracked script of the same name in `.husky/` with
 * node_modules/.bin on PATH. Versions 5 to 8 point core.hooksPath at `.husky` itself and run those
 * scripts directly. Either way the team's hooks are the tracked `.husky/<hook>` scripts, so
 * leakguard adds its line there, between markers, and never touches `.husky/_`.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine, HOOK_NAMES, type HookName } from '../hook-commands.js';
import { block, hasBlock, insertLines, removeBlocks } from '../marked-block.js';
import { dependencyRange, readText, type HookManager, type ManagerContext } from './context.js';

const HUSKY_DIR = '.husky';
const LEGACY_SOURCE = '. "$(dirname -- "$0")/_/husky.sh"';

/** 9 for husky 9 and later, 8 for the `.husky` layout of versions 5 to 8. */
export function huskyGeneration(ctx: ManagerContext): 9 | 8 | undefined {
  const hp = ctx.hooksPath?.replace(/\/+$/, '');
  if (hp === `${HUSKY_DIR}/_` || (hp && hp.endsWith(`/${HUSKY_DIR}/_`))) return 9;
  if (hp === HUSKY_DIR || (hp && hp.endsWith(`/${HUSKY_DIR}`))) return 8;
  if (!existsSync(join(ctx.root, HUSKY_DIR))) return undefined;
  // a checkout where husky has not run yet: go by the version the project depends on
  const installed = readText(join(ctx.root, 'node_modules', 'husky', 'package.json'));
  const version = installed ? String(JSON.parse(installed).version ?? '') : (dependencyRange(ctx.pkg, 'husky') ?? '');
  const major = Number(/(\d+)/.exec(version)?.[1] ?? NaN);
  if (Number.isNaN(major) && !dependencyRange(ctx.pkg, 'husky')) return undefined;
  return major >= 5 && major < 9 ? 8 : 9;
}

function scriptLines(ctx: ManagerContext, gen: 9 | 8, hook: HookName): string[] {
  // husky 9 puts node_modules/.bin on PATH itself (and runs the script with sh -e); 5 to 8 do
  // neither, so a failure must end the script itself
  return [`${commandLine(gen === 9 ? 'leakguard' : ctx.runner, hook)} || exit $?`];
}

export const husky: HookManager = {
  name: 'husky',
  detect: (ctx) => huskyGeneration(ctx) !== undefined,

  async install(ctx, hooks) {
    const gen = huskyGeneration(ctx)!;
    const dir = join(ctx.root, HUSKY_DIR);
    mkdirSync(dir, { recursive: true });
    const messages: string[] = [];
    for (const hook of hooks) {
      const file = join(dir, hook);
      const existing = readText(file);
      const lines = scriptLines(ctx, gen, hook);
      if (existing === undefined) {
        const header = gen === 8 ? ['#!/usr/bin/env sh'] : [];
        const body = gen === 8 ? [LEGACY_SOURCE, ...lines] : lines;
        writeFileSync(file, `${[...header, ...block(body, '', true)].join('\n')}\n`, { mode: 0o755 });
        messages.push(`${hook}: created ${HUSKY_DIR}/${hook} (husky ${gen === 9 ? '9' : '5-8'}) running leakguard`);
        continue;
      }
      const { text, created } = removeBlocks(existing);
      // first thing after the shebang and husky's own set-up line, so a script that ends with `exit 0` still runs it
      const at = afterPreamble(text);
      writeFileSync(file, insertLines(text, at, block(lines, '', created)));
      if (gen === 8 && !(statSync(file).mode & 0o100)) chmodSync(file, 0o755);
      messages.push(
        `${hook}: ${hasBlock(existing) ? 'updated' : 'added'} leakguard in ${HUSKY_DIR}/${hook}; the script's own commands run after it`,
      );
    }
    return { messages };
  },

  async uninstall(ctx) {
    const messages: string[] = [];
    for (const hook of HOOK_NAMES) {
      const file = join(ctx.root, HUSKY_DIR, hook);
      const text = readText(file);
      if (text === undefined || !hasBlock(text)) continue;
      const r = removeBlocks(text);
      if (r.created && r.text.split('\n').every((l) => l.trim() === '' || l.startsWith('#!'))) {
        rmSync(file);
        messages.push(`${hook}: removed ${HUSKY_DIR}/${hook} (leakguard had created it)`);
      } else {
        writeFileSync(file, r.text);
        messages.push(`${hook}: removed leakguard from ${HUSKY_DIR}/${hook}`);
      }
    }
    return messages.length ? { messages } : undefined;
  },
};

function afterPreamble(text: string): number {
  const lines = text.split('\n');
  let i = 0;
  if (lines[0]?.startsWith('#!')) i = 1;
  for (let j = i; j < Math.min(lines.length, i + 3); j++) {
    if (/husky\.sh["']?\s*$/.test(lines[j]!)) return j + 1;
  }
  return i;
}
