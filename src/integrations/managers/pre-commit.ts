/**
 * The pre-commit framework: hooks are entries in .pre-commit-config.yaml, and `pre-commit install`
 * writes the git hooks that run them. leakguard adds one `repo: local` entry (the project's own
 * leakguard, language system, so nothing is downloaded) with a hook per stage. Stage names are
 * the ones every pre-commit from 3.0 on accepts (`commit`, `merge-commit`, `commit-msg`, `push`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import yaml from 'js-yaml';
import { LeakguardError } from '../../errors.js';
import { HOOK_COMMANDS, type HookName } from '../hook-commands.js';
import { appendLines, block, hasBlock, insertLines, removeBlocks } from '../marked-block.js';
import { readText, type HookManager, type ManagerContext } from './context.js';

const CONFIG = '.pre-commit-config.yaml';

const STAGE: Record<HookName, string> = {
  'pre-commit': 'commit',
  'pre-merge-commit': 'merge-commit',
  'commit-msg': 'commit-msg',
  'pre-push': 'push',
};

/** One `hooks:` item per git hook; consecutive hooks with the same command share one. */
function hookItems(ctx: ManagerContext, hooks: readonly HookName[]): string[] {
  const out: string[] = [];
  const staged = hooks.filter((h) => h === 'pre-commit' || h === 'pre-merge-commit');
  if (staged.length) {
    out.push(
      '- id: leakguard',
      '  name: leakguard (staged content)',
      `  entry: ${ctx.runner} ${HOOK_COMMANDS['pre-commit'].args.join(' ')}`,
      '  language: system',
      '  pass_filenames: false',
      '  always_run: true',
      `  stages: [${staged.map((h) => STAGE[h]).join(', ')}]`,
    );
  }
  if (hooks.includes('commit-msg')) {
    // pre-commit passes the message file as the one file name
    out.push(
      '- id: leakguard-commit-msg',
      '  name: leakguard (commit message)',
      `  entry: ${ctx.runner} ${HOOK_COMMANDS['commit-msg'].args.join(' ')}`,
      '  language: system',
      '  always_run: true',
      '  stages: [commit-msg]',
    );
  }
  if (hooks.includes('pre-push')) {
    // pre-commit keeps git's stdin to itself and exports the refs instead; leakguard reads those
    out.push(
      '- id: leakguard-pre-push',
      '  name: leakguard (commits to push)',
      `  entry: ${ctx.runner} ${HOOK_COMMANDS['pre-push'].args.join(' ')} pre-commit`,
      '  language: system',
      '  pass_filenames: false',
      '  always_run: true',
      '  stages: [push]',
    );
  }
  return out;
}

function entry(ctx: ManagerContext, hooks: readonly HookName[]): string[] {
  return ['- repo: local', '  hooks:', ...hookItems(ctx, hooks).map((l) => `    ${l}`)];
}

export function addEntry(text: string, lines: string[]): string {
  const all = text.split('\n');
  const repos = all.findIndex((l) => /^repos:\s*(#.*)?$/.test(l));
  if (repos === -1) {
    if (/^repos:/m.test(text))
      throw new LeakguardError(
        `cannot add leakguard to ${CONFIG} safely (its repos: list is not a block list); add: ${lines.join(' ')}`,
      );
    return appendLines(text, ['repos:', ...block(lines, '  ')]);
  }
  const item = all.slice(repos + 1).find((l) => /^\s*- /.test(l));
  const indent = item ? /^\s*/.exec(item)![0] : '  ';
  return insertLines(text, repos + 1, block(lines, indent));
}

function preCommitInstall(ctx: ManagerContext, hooks: readonly HookName[]): string {
  const types = hooks.flatMap((h) => ['-t', h]);
  const r = spawnSync('pre-commit', ['install', ...types], { cwd: ctx.root, encoding: 'utf8' });
  if (r.error) return `run 'pre-commit install ${types.join(' ')}' to write the git hooks`;
  if (r.status !== 0)
    throw new LeakguardError(`pre-commit install failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return `ran 'pre-commit install ${types.join(' ')}'`;
}

/** The config with leakguard's entry, checked by parsing it back; throws when that cannot be done safely. */
function withEntry(ctx: ManagerContext, original: string, hooks: readonly HookName[]): string {
  const text = addEntry(removeBlocks(original).text, entry(ctx, hooks));
  let doc: { repos?: Array<{ repo?: string; hooks?: Array<{ id?: string }> }> };
  try {
    doc = yaml.load(text) as typeof doc;
  } catch {
    throw new LeakguardError(`${CONFIG}: invalid YAML; fix it before installing`);
  }
  const ours = doc?.repos?.find((r) => r?.repo === 'local' && r.hooks?.some((h) => h?.id?.startsWith('leakguard')));
  if (!ours)
    throw new LeakguardError(
      `cannot add leakguard to ${CONFIG} safely; add this entry under repos: ${entry(ctx, hooks).join(' ')}`,
    );
  return text;
}

export const preCommit: HookManager = {
  name: 'pre-commit',
  detect: (ctx) => existsSync(join(ctx.root, CONFIG)),

  check(ctx, hooks) {
    withEntry(ctx, readText(join(ctx.root, CONFIG))!, hooks);
  },

  async install(ctx, hooks) {
    const file = join(ctx.root, CONFIG);
    const original = readText(file)!;
    const text = withEntry(ctx, original, hooks);
    writeFileSync(file, text);
    return {
      messages: [
        `${hooks.join(', ')}: ${hasBlock(original) ? 'updated' : 'added'} a leakguard entry in ${basename(file)}; ${preCommitInstall(ctx, hooks)}`,
      ],
    };
  },

  async uninstall(ctx) {
    const file = join(ctx.root, CONFIG);
    const text = readText(file);
    if (text === undefined || !hasBlock(text)) return undefined;
    writeFileSync(file, removeBlocks(text).text);
    return {
      messages: [
        `removed the leakguard entry from ${CONFIG} (the git hooks pre-commit wrote stay; they run what the config lists)`,
      ],
    };
  },
};
