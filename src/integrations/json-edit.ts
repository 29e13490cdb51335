/**
 * Edits of a JSON file another tool and the team own (package.json, .huskyrc.json) as text: a
 * value is replaced or a member added or removed in place, so indentation, key order, inline
 * arrays, escapes and the trailing newline stay exactly as they were, and removing what was added
 * gives the original bytes back. JSON.stringify of the parsed file would reformat all of it.
 */
import { LeakguardError } from '../errors.js';

export interface JsonNode {
  kind: 'object' | 'array' | 'string' | 'other';
  /** Offsets of the value's text, end exclusive. */
  start: number;
  end: number;
  members?: JsonMember[];
  /** The decoded value, for strings. */
  value?: string;
}

export interface JsonMember {
  key: string;
  keyStart: number;
  value: JsonNode;
}

/** Parses `text` into nodes that know where they are; a malformed file is an error naming `file`. */
export function parseJsonSpans(text: string, file: string): JsonNode {
  let i = 0;
  const fail = (): never => {
    throw new LeakguardError(`${file}: invalid JSON near offset ${i}; fix it before installing`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = (): JsonNode => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    let value: string;
    try {
      value = JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail();
    }
    return { kind: 'string', start, end: i, value };
  };
  const val = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '"') return str();
    if (c === '{' || c === '[') {
      const object = c === '{';
      i++;
      const members: JsonMember[] = [];
      ws();
      if (text[i] === (object ? '}' : ']')) {
        i++;
        return { kind: object ? 'object' : 'array', start, end: i, members };
      }
      for (;;) {
        ws();
        if (object) {
          if (text[i] !== '"') fail();
          const keyStart = i;
          const key = str().value!;
          ws();
          if (text[i] !== ':') fail();
          i++;
          members.push({ key, keyStart, value: val() });
        } else val();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === (object ? '}' : ']')) {
          i++;
          return { kind: object ? 'object' : 'array', start, end: i, members: object ? members : undefined };
        }
        fail();
      }
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
    return { kind: 'other', start, end: i };
  };
  const root = val();
  ws();
  if (i !== text.length) fail();
  return root;
}

export function member(node: JsonNode | undefined, key: string): JsonMember | undefined {
  return node?.kind === 'object' ? node.members!.find((m) => m.key === key) : undefined;
}

/** `text` with `node`'s value replaced by `raw` (already JSON). */
export function replaceValue(text: string, node: JsonNode, raw: string): string {
  return text.slice(0, node.start) + raw + text.slice(node.end);
}

function lineIndent(text: string, at: number): string {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/**
 * `text` with `"key": raw` added as the object's last member, laid out like the member before it
 * (its line break, indentation and colon spacing). `removeMember` of it gives `text` back.
 */
export function addMember(text: string, object: JsonNode, key: string, raw: string): string {
  const members = object.members!;
  const last = members[members.length - 1];
  if (!last) {
    // an empty object: the file's indentation step, one level deeper than the object's line
    const step = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
    const outer = lineIndent(text, object.start);
    const body = `\n${outer}${step}${JSON.stringify(key)}: ${raw}\n${outer}`;
    return text.slice(0, object.start + 1) + body + text.slice(object.end - 1);
  }
  const before = text.slice(0, last.keyStart);
  const gap = /[ \t\r\n]*$/.exec(before)![0]; // what separates the last member from the comma or brace before it
  const keyText = JSON.stringify(last.key);
  const colon = text.slice(last.keyStart + keyText.length, last.value.start); // `: ` as the file spells it
  const insert = `,${gap || ' '}${JSON.stringify(key)}${colon}${raw}`;
  return text.slice(0, last.value.end) + insert + text.slice(last.value.end);
}

/** `text` without the member `key` of `object` (and the separator that went with it). */
export function removeMember(text: string, object: JsonNode, key: string): string {
  const members = object.members!;
  const at = members.findIndex((m) => m.key === key);
  if (at === -1) return text;
  const m = members[at]!;
  if (members.length === 1) return text.slice(0, object.start + 1) + text.slice(object.end - 1);
  if (at > 0) return text.slice(0, members[at - 1]!.value.end) + text.slice(m.value.end);
  return text.slice(0, m.keyStart) + text.slice(members[1]!.keyStart);
}
