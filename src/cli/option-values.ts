/**
 * Two mistakes yargs lets through silently, caught from the command line as typed: an option that
 * takes one value given twice (yargs makes a list of them, which the commands were never meant to
 * get: `--format json --format sarif` printed text, `--output a --output b` failed half-way), and
 * a flag given a value (`--staged=yes` turned the staged scan off).
 */
import type { Options } from 'yargs';
import { COMMAND_KEYS, pick } from './options.js';

/** Options that are lists (a repeat adds to them). */
const LISTS = new Set(['hooks']);

/** The usage error in `argv`, or undefined. Run after yargs accepted the command line. */
export function optionValueError(argv: string[]): string | undefined {
  const command = argv.find((a) => !a.startsWith('-'));
  const keys = command ? COMMAND_KEYS[command] : undefined;
  if (!keys) return undefined;
  const byName = new Map<string, [string, Options]>();
  for (const [flag, decl] of Object.entries(pick(keys))) {
    byName.set(flag, [flag, decl]);
    for (const alias of [decl.alias ?? []].flat()) byName.set(alias, [flag, decl]);
  }
  const seen = new Map<string, boolean>();
  for (const token of argv) {
    if (token === '--') break;
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(token);
    if (!m) continue;
    const negated = !byName.has(m[1]!) && m[1]!.startsWith('no-');
    const found = byName.get(negated ? m[1]!.slice(3) : m[1]!);
    if (!found) continue;
    const [flag, decl] = found;
    if (decl.type === 'boolean') {
      if (m[2] !== undefined && m[2] !== 'true' && m[2] !== 'false')
        return `--${negated ? 'no-' : ''}${flag} takes no value (given '${m[2]}')`;
      continue;
    }
    if (LISTS.has(flag)) continue;
    const before = seen.get(flag);
    if (before !== undefined)
      return before !== negated
        ? `--${flag} and --no-${flag} cannot be combined`
        : `--${negated ? 'no-' : ''}${flag} was given more than once; give it once`;
    seen.set(flag, negated);
  }
  return undefined;
}
