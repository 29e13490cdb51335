/**
 * Turning rule regexes into JavaScript RegExps, and keeping a bad one from hanging a scan.
 *
 * V8's regex engine backtracks, so a rule like `(a+)+$` can take years on a line of `a`s. Two lines
 * of defence: rules with nested unbounded quantifiers are rejected when they are loaded, and rules
 * that are not part of the shipped pack run inside a `vm` context with a time limit, so any other
 * pathological pattern costs at most that limit once and is then switched off for the scan.
 */
import { createRequire } from 'node:module';
import type { Context, Script } from 'node:vm';
import { LeakguardError } from '../errors.js';

/** Accepts gitleaks-style leading flag groups such as `(?i)` and turns them into JS flags. */
export function translateRegex(source: string, where: string): { source: string; flags: string } {
  let src = source;
  let flags = '';
  const lead = /^\(\?([ims]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
  }
  if (/\(\?[imsx-]+[:)]/.test(src)) {
    throw new LeakguardError(
      `${where}: inline flag groups like '(?i:…)' are not supported; put one '(?i)' at the start of the regex`,
    );
  }
  return { source: src, flags };
}

export function compileRegex(source: string, flags: string, where: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new LeakguardError(
      `${where}: invalid regex: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
    );
  }
}

interface GroupFrame {
  unbounded: boolean;
  fixedAtom: boolean;
  start: number;
}

/**
 * Finds a group repeated without bound whose body is itself an unbounded repeat with nothing fixed
 * beside it, the shape behind the classic catastrophic cases: `(a+)+`, `(\w+\s?)*`, `(?:x*y?){2,}`.
 * A fixed atom in the body (`(?:[a-z]+\.)+`) pins each iteration down, so that shape is accepted.
 * Returns the offending fragment, or undefined. Whatever this misses, the runtime guard bounds.
 */
export function findNestedQuantifier(source: string): string | undefined {
  const stack: GroupFrame[] = [{ unbounded: false, fixedAtom: false, start: 0 }];
  let i = 0;
  let atomStart = -1;
  let closed: GroupFrame | undefined; // the group just closed, when the atom is a group
  const quantAt = (j: number): { len: number; min: number; max: number } | undefined => {
    const c = source[j];
    const lazy = (k: number) => (source[k] === '?' ? 1 : 0);
    if (c === '*') return { len: 1 + lazy(j + 1), min: 0, max: Infinity };
    if (c === '+') return { len: 1 + lazy(j + 1), min: 1, max: Infinity };
    if (c === '?') return { len: 1 + lazy(j + 1), min: 0, max: 1 };
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(j));
      if (!m) return undefined;
      const min = Number(m[1]);
      return { len: m[0].length, min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
    }
    return undefined;
  };
  while (i < source.length) {
    const c = source[i]!;
    closed = undefined;
    if (c === '\\') {
      atomStart = i;
      i += 2;
    } else if (c === '[') {
      atomStart = i;
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      stack.push({ unbounded: false, fixedAtom: false, start: i });
      i++;
      if (source[i] === '?') {
        i++;
        if (source[i] === '<' && source[i + 1] !== '=' && source[i + 1] !== '!') {
          while (i < source.length && source[i] !== '>') i++;
        }
        i++;
      }
      continue;
    } else if (c === ')') {
      closed = stack.pop();
      if (!closed || stack.length === 0) return undefined; // unbalanced: the RegExp constructor reports it
      atomStart = closed.start;
      i++;
    } else if (c === '|' || c === '^' || c === '$') {
      i++;
      continue;
    } else {
      atomStart = i;
      i++;
    }
    const frame = stack[stack.length - 1]!;
    const q = quantAt(i);
    if (q && q.max === Infinity && closed && closed.unbounded && !closed.fixedAtom)
      return source.slice(atomStart, i + q.len);
    if (q && q.max === Infinity) frame.unbounded = true;
    else if (closed) {
      frame.unbounded ||= closed.unbounded;
      frame.fixedAtom ||= closed.fixedAtom && (!q || q.min > 0);
    } else if (!q || (q.min === q.max && q.min > 0)) frame.fixedAtom = true;
    if (q) i += q.len;
  }
  return undefined;
}

export type MatchTuple = { index: number; groups: (string | undefined)[]; named?: Record<string, string | undefined> };

/** Runs every match of `re` over `text` with no time limit (shipped rules). */
export function allMatches(re: RegExp, text: string): MatchTuple[] {
  const out: MatchTuple[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    out.push({ index: m.index, groups: Array.from(m), named: m.groups });
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

let guardContext: Context | undefined;
let guardScript: Script | undefined;
// node:vm is only needed once a user rule runs; worker threads and shipped rules never load it
const loadVm = () => createRequire(import.meta.url)('node:vm') as typeof import('node:vm');

export class RegexTimeout extends Error {}

/** Runs every match of `re` over `text`, giving up after `timeoutMs` (user rules). */
export function allMatchesGuarded(re: RegExp, text: string, timeoutMs: number): MatchTuple[] {
  const vm = loadVm();
  guardContext ??= vm.createContext({ re: null, text: '', out: null });
  guardScript ??= new vm.Script(`(() => {
    out = [];
    re.lastIndex = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      out.push({ index: m.index, groups: Array.from(m), named: m.groups });
      if (m[0].length === 0) re.lastIndex++;
    }
  })()`);
  guardContext.re = re;
  guardContext.text = text;
  try {
    guardScript.runInContext(guardContext, { timeout: timeoutMs });
    return guardContext.out as MatchTuple[];
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new RegexTimeout();
    throw e;
  } finally {
    guardContext.text = '';
    guardContext.out = null;
  }
}
