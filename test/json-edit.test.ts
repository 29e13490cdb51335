/** JSON edited as text: what a member added means, and that removing it gives the original bytes back. */
import { describe, expect, it } from 'vitest';
import { addMember, member, parseJsonSpans, removeMember, replaceValue } from '../src/integrations/json-edit.js';

const LAYOUTS: Record<string, string> = {
  'two spaces': '{\n  "name": "app",\n  "hooks": {\n    "pre-commit": "npm test"\n  }\n}\n',
  tabs: '{\n\t"hooks": {\n\t\t"a": "x",\n\t\t"b": "y"\n\t}\n}',
  'CRLF and four spaces': '{\r\n    "hooks": {\r\n        "a": "x"\r\n    },\r\n    "z": [1, 2]\r\n}\r\n',
  'one line': '{"hooks": {"a": "x \\"quoted\\" \\u00e9"}, "n": -1.5e3, "t": true, "f": null}',
  'space before colon': '{\n  "hooks" : {\n    "a" : "x"\n  }\n}\n',
};

describe('json-edit', () => {
  for (const [name, text] of Object.entries(LAYOUTS)) {
    it(`${name}: an added member parses as intended, keeps its neighbours' layout, and removing it restores the bytes`, () => {
      const hooks = member(parseJsonSpans(text, 'f.json'), 'hooks')!.value;
      const added = addMember(text, hooks, 'commit-msg', JSON.stringify('leakguard "$1"'));
      const parsed = JSON.parse(added);
      expect(parsed.hooks['commit-msg']).toBe('leakguard "$1"');
      expect({ ...parsed, hooks: { ...parsed.hooks, 'commit-msg': undefined } }).toEqual({
        ...JSON.parse(text),
        hooks: { ...JSON.parse(text).hooks, 'commit-msg': undefined },
      });
      // the new member sits on a line of its own exactly where the file puts one
      if (text.includes('\n')) expect(added).toMatch(/\n[ \t]+"commit-msg"/);
      const again = member(parseJsonSpans(added, 'f.json'), 'hooks')!.value;
      expect(removeMember(added, again, 'commit-msg')).toBe(text);
    });
  }

  it('replacing a value touches nothing else; removing a first or only member leaves valid JSON', () => {
    const text = LAYOUTS.tabs!;
    const hooks = member(parseJsonSpans(text, 'f.json'), 'hooks')!.value;
    const a = member(hooks, 'a')!.value;
    expect(replaceValue(text, a, '"z"')).toBe(text.replace('"x"', '"z"'));
    const first = removeMember(text, hooks, 'a');
    expect(JSON.parse(first)).toEqual({ hooks: { b: 'y' } });
    const only = removeMember(first, member(parseJsonSpans(first, 'f.json'), 'hooks')!.value, 'b');
    expect(JSON.parse(only)).toEqual({ hooks: {} });
  });

  it('an empty object gets a member indented one step deeper than its line, and loses it again', () => {
    const text = '{\n    "hooks": {}\n}\n';
    const added = addMember(text, member(parseJsonSpans(text, 'f.json'), 'hooks')!.value, 'a', '"x"');
    expect(added).toBe('{\n    "hooks": {\n        "a": "x"\n    }\n}\n');
    expect(removeMember(added, member(parseJsonSpans(added, 'f.json'), 'hooks')!.value, 'a')).toBe(
      '{\n    "hooks": {}\n}\n',
    );
  });

  it('malformed JSON is an error naming the file', () => {
    for (const bad of ['{"a": }', '{"a": 1,}', '{"a" 1}', '["x"', '{"a": 1} x', '{"a": "unterminated}'])
      expect(() => parseJsonSpans(bad, 'package.json'), bad).toThrow(/^package\.json: invalid JSON/);
  });
});
