/**
 * The lines leakguard adds to a file another tool owns (a husky script, lefthook.yml,
 * .pre-commit-config.yaml) sit between two marker comments, so uninstall removes exactly them and
 * leaves every other byte of the file as it was.
 */
export const BLOCK_BEGIN =
  "# >>> leakguard hook: added by 'leakguard hook install'; 'leakguard hook uninstall' removes it";
/** The same, on a file leakguard created: uninstall deletes the file once its block is gone. */
export const BLOCK_BEGIN_CREATED =
  "# >>> leakguard hook: this file and block were created by 'leakguard hook install'; 'leakguard hook uninstall' removes them";
export const BLOCK_END = '# <<< leakguard hook';

/** The block's lines, indented (YAML comments may sit at any indentation). */
export function block(lines: string[], indent = '', created = false): string[] {
  return [
    `${indent}${created ? BLOCK_BEGIN_CREATED : BLOCK_BEGIN}`,
    ...lines.map((l) => `${indent}${l}`),
    `${indent}${BLOCK_END}`,
  ];
}

export function hasBlock(text: string): boolean {
  return text.includes(BLOCK_END) && (text.includes(BLOCK_BEGIN) || text.includes(BLOCK_BEGIN_CREATED));
}

/** The text without any leakguard block, and whether one of them said leakguard created the file. */
export function removeBlocks(text: string): { text: string; created: boolean; removed: number } {
  const lines = text.split('\n');
  const kept: string[] = [];
  let inside = false;
  let created = false;
  let removed = 0;
  for (const line of lines) {
    const t = line.trim();
    if (!inside && (t === BLOCK_BEGIN || t === BLOCK_BEGIN_CREATED)) {
      inside = true;
      created ||= t === BLOCK_BEGIN_CREATED;
      continue;
    }
    if (inside) {
      if (t === BLOCK_END) {
        inside = false;
        removed++;
      }
      continue;
    }
    kept.push(line);
  }
  return { text: kept.join('\n'), created, removed };
}

/** Splices `insert` into `text` before line `at` (0-based), keeping the file's line ending at the end. */
export function insertLines(text: string, at: number, insert: string[]): string {
  const lines = text.split('\n');
  lines.splice(at, 0, ...insert);
  return lines.join('\n');
}

/** Appends lines at the end, after exactly one newline. */
export function appendLines(text: string, add: string[]): string {
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return `${base}${add.join('\n')}\n`;
}
