/**
 * lefthook: hooks are commands in lefthook.yml, and `lefthook install` (re)writes the git hooks
 * from it, so leakguard adds a `leakguard` command under each hook. The YAML is edited as text
 * (comments and layout stay), between markers, and the result is parsed back to prove it means
 * what was intended; a layout that cannot be edited safely is an error that shows what to add.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import yaml from 'js-yaml';
import { LeakguardError } from '../../errors.js';
import { commandLine, HOOK_COMMANDS, type HookName } from '../hook-commands.js';
import { appendLines, block, hasBlock, insertLines, removeBlocks } from '../marked-block.js';
import { firstExisting, readText, type HookManager, type ManagerContext } from './context.js';

const CONFIG_NAMES = ['lefthook.yml', '.lefthook.yml', 'lefthook.yaml', '.lefthook.yaml'];
const COMMAND = 'leakguard';

function commandBody(ctx: ManagerContext, hook: HookName): string[] {
  const lines = [`run: ${commandLine(ctx.runner, hook, '{1}')}`];
  if (HOOK_COMMANDS[hook].readsStdin) lines.push('use_stdin: true');
  return lines;
}

const indentOf = (line: string) => /^\s*/.exec(line)![0];
const isContent = (line: string) => line.trim() !== '' && !line.trim().startsWith('#');

/** lefthook.yml with a leakguard command under `hook`: the hook's `commands:` gets one, or the hook is added. */
export function addCommand(text: string, hook: HookName, body: string[]): string {
  const lines = text.split('\n');
  const top = lines.findIndex((l) => new RegExp(`^${hook}:\\s*(#.*)?$`).test(l));
  if (top === -1)
    return appendLines(text, block([`${hook}:`, '  commands:', `    ${COMMAND}:`, ...body.map((b) => `      ${b}`)]));
  let end = top + 1;
  while (end < lines.length && (!isContent(lines[end]!) || /^\s/.test(lines[end]!))) end++;
  const child = lines.slice(top + 1, end).find(isContent);
  const step = child ? indentOf(child) : '  ';
  const commands = lines
    .slice(top + 1, end)
    .findIndex((l) => l === `${step}commands:` || new RegExp(`^${step}commands:\\s*(#.*)?$`).test(l));
  if (commands === -1) {
    return insertLines(
      text,
      top + 1,
      block(['commands:', `${step}${COMMAND}:`, ...body.map((b) => `${step}${step}${b}`)], step),
    );
  }
  const at = top + 1 + commands + 1;
  const inner = lines.slice(at, end).find(isContent);
  const ind = inner && indentOf(inner).length > step.length ? indentOf(inner) : `${step}${step}`;
  const sub = ind.slice(step.length);
  return insertLines(text, at, block([`${COMMAND}:`, ...body.map((b) => `${sub}${b}`)], ind));
}

function configFile(ctx: ManagerContext): string | undefined {
  return firstExisting(ctx.root, CONFIG_NAMES);
}

/** Runs the project's own lefthook, if it has one, so the git hooks match the config now. */
function lefthookInstall(ctx: ManagerContext): string {
  const bin = join(ctx.root, 'node_modules', '.bin', 'lefthook');
  if (!existsSync(bin)) return "run 'lefthook install' to write the git hooks";
  const r = spawnSync(bin, ['install'], { cwd: ctx.root, encoding: 'utf8' });
  if (r.status !== 0)
    throw new LeakguardError(`lefthook install failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return "ran 'lefthook install'";
}

/** lefthook.yml with leakguard's commands for `hooks`, checked by parsing it back; throws when that cannot be done safely. */
function withCommands(ctx: ManagerContext, file: string, original: string, hooks: readonly HookName[]): string {
  let text = removeBlocks(original).text;
  for (const hook of hooks) {
    const doc = safeLoad(text, file) as Record<string, any> | undefined;
    if (doc?.[hook]?.commands?.[COMMAND] !== undefined) {
      throw new LeakguardError(
        `${basename(file)} already has a '${COMMAND}' command under ${hook} that leakguard did not add; remove it or rename it first`,
      );
    }
    const unsafe = () =>
      new LeakguardError(
        `cannot add leakguard to ${basename(file)} safely (its ${hook} section has a layout leakguard does not edit); add under ${hook}: commands: ${COMMAND}: ${commandBody(ctx, hook).join(', ')}`,
      );
    text = addCommand(text, hook, commandBody(ctx, hook));
    let check: Record<string, any> | undefined;
    try {
      check = yaml.load(text) as typeof check;
    } catch {
      throw unsafe();
    }
    if (check?.[hook]?.commands?.[COMMAND]?.run !== commandBody(ctx, hook)[0]!.slice('run: '.length)) throw unsafe();
  }
  return text;
}

export const lefthook: HookManager = {
  name: 'lefthook',
  detect: (ctx) => configFile(ctx) !== undefined,

  check(ctx, hooks) {
    const file = configFile(ctx)!;
    withCommands(ctx, file, readText(file)!, hooks);
  },

  async install(ctx, hooks) {
    const file = configFile(ctx)!;
    const original = readText(file)!;
    const text = withCommands(ctx, file, original, hooks);
    writeFileSync(file, text);
    const ran = lefthookInstall(ctx);
    return {
      messages: [
        `${hooks.join(', ')}: ${hasBlock(original) ? 'updated' : 'added'} the '${COMMAND}' command in ${basename(file)}; ${ran}`,
      ],
    };
  },

  async uninstall(ctx) {
    const file = configFile(ctx);
    const text = file ? readText(file) : undefined;
    if (!file || text === undefined || !hasBlock(text)) return undefined;
    writeFileSync(file, removeBlocks(text).text);
    return { messages: [`removed the '${COMMAND}' command from ${basename(file)}; ${lefthookInstall(ctx)}`] };
  },
};

function safeLoad(text: string, file: string): unknown {
  try {
    return yaml.load(text);
  } catch (e) {
    throw new LeakguardError(
      `${basename(file)}: invalid YAML${(e as { mark?: { line: number } }).mark ? ` at line ${(e as { mark: { line: number } }).mark.line + 1}` : ''}; fix it before installing`,
    );
  }
}
