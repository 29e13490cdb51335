/**
 * husky 4: its install script writes one generic script per git hook into .git/hooks, and each
 * runs the command the configuration names for that hook (`husky.hooks` in package.json, or an rc
 * file) with `sh -c`, from the package's directory, with node_modules/.bin on PATH. So leakguard's
 * command goes first in each hook's command string, joined with `&&`, and uninstall takes exactly
 * that back off. The file is edited as text (see json-edit.ts): nothing else in it moves.
 *
 * husky 4 hands hooks their git arguments in HUSKY_GIT_PARAMS (space-joined: the message file for
 * commit-msg, `remote url` for pre-push) and, for pre-push, git's ref lines in HUSKY_GIT_STDIN
 * (its script has read stdin itself, so the command's own stdin is empty).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeakguardError } from '../../errors.js';
import { hooksDir } from '../hook.js';
import { HOOK_COMMANDS, HOOK_NAMES, type HookName } from '../hook-commands.js';
import { addMember, member, parseJsonSpans, removeMember, replaceValue, type JsonNode } from '../json-edit.js';
import { readText, type HookManager, type ManagerContext } from './context.js';

const JOIN = ' && ';
/** husky 4's own marker in the hook scripts it writes. */
const HUSKY_SCRIPT_MARK = '# husky';

/**
 * Where husky 4 looks for its configuration, in its order (cosmiconfig's for `husky`; the
 * first one found is used). JSON files are edited; YAML and JavaScript are not (a YAML edit could
 * lose comments, and code can compute its hooks), so those are refused with what to add.
 */
const CONFIG_PLACES: { name: string; format: 'package' | 'json' | 'json-or-yaml' | 'yaml' | 'js' }[] = [
  { name: 'package.json', format: 'package' },
  { name: '.huskyrc', format: 'json-or-yaml' },
  { name: '.huskyrc.json', format: 'json' },
  { name: '.huskyrc.yaml', format: 'yaml' },
  { name: '.huskyrc.yml', format: 'yaml' },
  { name: '.huskyrc.js', format: 'js' },
  { name: '.huskyrc.cjs', format: 'js' },
  { name: '.config/huskyrc', format: 'json-or-yaml' },
  { name: '.config/huskyrc.json', format: 'json' },
  { name: '.config/huskyrc.yaml', format: 'yaml' },
  { name: '.config/huskyrc.yml', format: 'yaml' },
  { name: '.config/huskyrc.js', format: 'js' },
  { name: '.config/huskyrc.cjs', format: 'js' },
  { name: 'husky.config.js', format: 'js' },
  { name: 'husky.config.cjs', format: 'js' },
];

interface Config {
  name: string;
  file: string;
  /** The file's text and its `hooks` object, when leakguard can edit it; else why not. */
  editable?: { text: string; hooks: JsonNode };
  refusal?: string;
}

/** The command a husky 4 hook runs for leakguard (`runner` as the other managers spell it). */
export function husky4Command(runner: string, hook: HookName): string {
  const c = HOOK_COMMANDS[hook];
  const base = [runner, ...c.args].join(' ');
  if (hook === 'commit-msg') return `${base} "$HUSKY_GIT_PARAMS"`;
  // the remote's name is the first word (a remote name has no spaces; its URL may)
  if (hook === 'pre-push') return `printf '%s\\n' "$HUSKY_GIT_STDIN" | ${base} "\${HUSKY_GIT_PARAMS%% *}"`;
  return base;
}

function isHusky4Package(pkg: Record<string, unknown> | undefined): boolean {
  const h = pkg?.husky;
  return !!h && typeof h === 'object' && !Array.isArray(h) && !!(h as Record<string, unknown>).hooks;
}

function findConfig(ctx: ManagerContext): Config | undefined {
  for (const place of CONFIG_PLACES) {
    const file = join(ctx.root, place.name);
    if (place.format === 'package') {
      if (!isHusky4Package(ctx.pkg)) continue;
    } else if (!existsSync(file)) continue;
    const found: Config = { name: place.name, file };
    if (place.format === 'yaml' || place.format === 'js') {
      found.refusal = `${place.name} is ${place.format === 'js' ? 'JavaScript' : 'YAML'}, which leakguard does not edit`;
      return found;
    }
    const text = readText(file)!;
    let isJson = true;
    try {
      JSON.parse(text);
    } catch {
      isJson = false;
    }
    if (!isJson) {
      if (place.format === 'json-or-yaml') {
        found.refusal = `${place.name} is YAML, which leakguard does not edit`;
        return found;
      }
      throw new LeakguardError(`${place.name}: invalid JSON; fix it before installing`);
    }
    const root = parseJsonSpans(text, place.name);
    const holder = place.format === 'package' ? member(root, 'husky')?.value : root;
    const hooks = member(holder, 'hooks')?.value;
    if (!hooks || hooks.kind !== 'object') {
      found.refusal = `${place.name} has no "hooks" object to add to`;
      return found;
    }
    found.editable = { text, hooks };
    return found;
  }
  return undefined;
}

/** What to add by hand, for a configuration leakguard does not edit (one line). */
function byHand(ctx: ManagerContext, hooks: readonly HookName[]): string {
  return hooks.map((h) => `"${h}": ${JSON.stringify(husky4Command(ctx.runner, h))}`).join(', ');
}

/** The raw JSON string `current` without leakguard's command at its front, or undefined when it has none. */
function stripOurs(ctx: ManagerContext, hook: HookName, current: JsonNode, text: string): string | undefined {
  const raw = text.slice(current.start, current.end);
  for (const runner of new Set([ctx.runner, 'leakguard', 'node_modules/.bin/leakguard'])) {
    const ours = JSON.stringify(husky4Command(runner, hook));
    if (raw === ours) return '';
    // the team's command keeps its own spelling (escapes included): only our prefix is cut off
    const prefix = JSON.stringify(`${husky4Command(runner, hook)}${JOIN}`).slice(0, -1);
    if (raw.startsWith(prefix)) return `"${raw.slice(prefix.length)}`;
  }
  return undefined;
}

function edited(ctx: ManagerContext, config: Config, hooks: readonly HookName[]): string {
  let { text } = config.editable!;
  for (const hook of hooks) {
    // parsed again after each edit: offsets move
    const hooksNode = findConfigIn(text, config);
    const current = member(hooksNode, hook)?.value;
    const ours = JSON.stringify(husky4Command(ctx.runner, hook));
    if (!current) {
      text = addMember(text, hooksNode, hook, ours);
      continue;
    }
    if (current.kind !== 'string')
      throw new LeakguardError(
        `${config.name}: husky.hooks["${hook}"] is not a command string; leakguard cannot chain it`,
      );
    const rest = stripOurs(ctx, hook, current, text) ?? text.slice(current.start, current.end);
    const raw = rest === '' || rest === '""' ? ours : `${ours.slice(0, -1)}${JOIN}${rest.slice(1)}`;
    text = replaceValue(text, current, raw);
  }
  return text;
}

function findConfigIn(text: string, config: Config): JsonNode {
  const root = parseJsonSpans(text, config.name);
  const holder = config.name === 'package.json' ? member(root, 'husky')?.value : root;
  return member(holder, 'hooks')!.value;
}

export const husky4: HookManager = {
  name: 'husky 4',
  // husky 4's scripts live in .git/hooks: with core.hooksPath set elsewhere they would never run
  detect: (ctx) => !ctx.hooksPath && findConfig(ctx) !== undefined,

  check(ctx, hooks) {
    const config = findConfig(ctx)!;
    if (config.refusal)
      throw new LeakguardError(`husky 4: ${config.refusal}; add to its hooks yourself: ${byHand(ctx, hooks)}`);
    edited(ctx, config, hooks);
  },

  async install(ctx, hooks) {
    const config = findConfig(ctx)!;
    writeFileSync(config.file, edited(ctx, config, hooks));
    const messages = [`${hooks.join(', ')}: leakguard added to husky 4's hooks in ${config.name}`];
    // husky 4 writes the git hooks from its install script (npm install); say so if it has not yet
    const dir = await hooksDir(ctx.root);
    const missing = hooks.filter((h) => !(readText(join(dir, h)) ?? '').includes(HUSKY_SCRIPT_MARK));
    if (missing.length)
      messages.push(
        `warning: husky 4 has not installed its ${missing.join(', ')} git hook${missing.length > 1 ? 's' : ''} here yet; run 'npm install' (or 'npm rebuild husky')`,
      );
    return { messages };
  },

  async uninstall(ctx) {
    if (ctx.hooksPath) return undefined;
    const config = findConfig(ctx);
    if (!config?.editable) return undefined;
    let text = config.editable.text;
    const removed: HookName[] = [];
    for (const hook of HOOK_NAMES) {
      const hooksNode = findConfigIn(text, config);
      const current = member(hooksNode, hook)?.value;
      if (current?.kind !== 'string') continue;
      const rest = stripOurs(ctx, hook, current, text);
      if (rest === undefined) continue;
      text = rest === '' ? removeMember(text, hooksNode, hook) : replaceValue(text, current, rest);
      removed.push(hook);
    }
    if (!removed.length) return undefined;
    writeFileSync(config.file, text);
    return { messages: [`${removed.join(', ')}: removed leakguard from husky 4's hooks in ${config.name}`] };
  },
};
