/**
 * Usage errors as one line: yargs' messages rephrased, with the nearest valid spelling of a
 * mistyped command, option or value.
 */

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be what was meant: within a third of
 * its length (at least one edit), or a candidate that `word` is a prefix of.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined) return undefined;
  if (bestDistance <= Math.max(1, Math.floor(best.length / 3))) return best;
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

const didYouMean = (s: string | undefined, prefix = '') => (s ? ` (did you mean ${prefix}${s}?)` : '');

/** What a command accepts, for suggestions. */
export interface CommandShape {
  options: string[];
  /** Positional arguments that take one of a fixed set of words. */
  choices?: Record<string, readonly string[]>;
}

/**
 * Rephrases one yargs failure message. `command` is the command the user named (undefined when
 * none was recognised); `commands` every command name.
 */
export function usageMessage(raw: string, argv: string[], commands: Record<string, CommandShape>): string {
  const msg = raw.replace(/\s*\n\s*/g, ' ').trim();
  const named = argv.find((a) => !a.startsWith('-'));
  const command = named !== undefined && named in commands ? named : undefined;
  const shape = command ? commands[command]! : undefined;

  let m = /^Unknown arguments?: (.*)$/.exec(msg);
  if (m) {
    const words = m[1]!
      .split(', ')
      .map((w) => w.trim())
      .filter(Boolean);
    const first = words[0]!;
    if (!command) {
      return `unknown command '${named ?? first}'${didYouMean(nearest(named ?? first, Object.keys(commands)))}`;
    }
    const asOption = argv.find((a) => a.replace(/^-+/, '').split('=')[0] === first && a.startsWith('-'));
    if (asOption) {
      const name = first.replace(/^no-/, '');
      return `unknown option ${asOption.split('=')[0]} for '${command}'${didYouMean(nearest(name, shape!.options), '--')}`;
    }
    return `unexpected argument '${first}' for '${command}'`;
  }
  m = /^Invalid values?: Argument: ([\w-]+), Given: (.*?), Choices: (.*)$/.exec(msg);
  if (m) {
    const [, arg, givenRaw, choicesRaw] = m;
    const given = givenRaw!.replace(/^"|"$/g, '');
    const choices = choicesRaw!.split(', ').map((c) => c.replace(/^"|"$/g, ''));
    const isPositional = Boolean(shape?.choices?.[arg!]);
    const label = isPositional ? `${command} ${arg}` : `--${arg}`;
    if (given === '') return `${label} needs a value: one of ${choices.join(', ')}`;
    return `${label}: '${given}' is not one of ${choices.join(', ')}${didYouMean(nearest(given, choices))}`;
  }
  m = /^Not enough arguments following: ([\w-]+)$/.exec(msg);
  if (m) return `${m[1]!.length === 1 ? '-' : '--'}${m[1]} needs a value`;
  m = /^Not enough non-option arguments: got 0, need at least (\d+)$/.exec(msg);
  if (m) {
    const positional = shape?.choices ? Object.entries(shape.choices)[0] : undefined;
    if (command && positional) return `'${command}' needs an action: ${positional[1].join(' or ')}`;
    if (!command) return `name a command: ${Object.keys(commands).join(', ')}`;
  }
  m = /^Arguments ([\w-]+) and ([\w-]+) are mutually exclusive$/.exec(msg);
  if (m) return `--${m[1]} and --${m[2]} cannot be combined`;
  m = /^Missing dependent arguments: ([\w-]+) -> ([\w-]+)$/.exec(msg);
  if (m) return `--${m[1]} goes with --${m[2]}`;
  return msg.replace(/^(.)/, (c) => c.toLowerCase());
}
