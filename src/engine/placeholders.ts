/**
 * Is a matched value a credential at all? The judgement a rule's regex cannot make: templates and
 * placeholders, code expressions and type names, identifiers that only contain a secret-like word
 * (ARNs, SigV4 scopes, pagination tokens, cache-key digests), and sample passwords from docs.
 *
 * Which checks run depends on the rule's tags: every rule drops templates; `generic` and `password`
 * rules (found by a key name, not by a vendor's format) also get the code and identifier checks;
 * `password` rules also drop well-known sample passwords and are demoted, not dropped, when the
 * credential points at a local or example host.
 */
import type { CompiledRule } from './compile.js';

/**
 * Values that are never secrets whatever the rule: templates, placeholders and masks. An ellipsis
 * is matched both as text and as its UTF-8 bytes read one by one (history text is read that way).
 */
const TEMPLATE =
  /\$\{|\{\{|<[a-z_ -]*>|x{5,}|X{5,}|\*{5,}|^\*+$|\.\.\.|\u2026|\u00e2\u0080\u00a6|^\$[A-Za-z_][A-Za-z0-9_]*$|^%\(?[A-Za-z_]+\)?s?%?$|^__[A-Z_]+__$/;

/** Key names whose "token" is a cursor or a public value: `NextToken`, `VerificationToken`, `csrf_token`. */
const NON_SECRET_KEY =
  /(?:next|continuation|pagination|page|cursor|marker|verification|idempotency|client_?request|sync|resume|csrf|xsrf|nonce|cancel(?:lation)?)[_-]?token|token[_-]?(?:type|url|uri|endpoint|name|file|path|ttl|expir\w*|length|count|limit|cache[_-]?key)/i;
/** Key names that hold a digest of something, not a secret: cache keys, checksums, ids. */
const DIGEST_KEY = /cache|hash|digest|checksum|sha\d*|md5|etag|fingerprint|_id\b|[_-]sum\b/i;
const HEX_DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/;
/** `AKID/20150830/us-east-1/iam/aws4_request`: the public half of a SigV4 signature. */
const SIGV4_SCOPE = /\/\d{8}\/[\w-]+\/[\w-]+\/aws4_request$/;
/** `amzn1.account.AF6R…`, `urn.x.y`: namespaced identifiers. */
const NAMESPACED_ID = /^[a-z][a-z0-9]*\.[a-z][a-z0-9]*\.[A-Za-z0-9]+$/;
/** The last key before an assignment operator, quoted or not, at the end of the text before a value. */
const KEY_BEFORE = /([\w.-]+)["']?[ \t]*(?:=|:|:=|=>)[ \t]*["'`]?$/;
const DOTTED_REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/** Words that make up sample credentials in docs and tests (`scott:tiger`, `foo:bar`, `mypassword`). */
const SAMPLE_WORDS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'changeme',
  'example',
  'sample',
  'dummy',
  'demo',
  'test',
  'testing',
  'user',
  'username',
  'admin',
  'root',
  'guest',
  'foo',
  'bar',
  'baz',
  'qux',
  'scott',
  'tiger',
  'my',
  'mypass',
  'mypassword',
  'mysecret',
  'your',
  'yourpassword',
  'hunter',
  'letmein',
  'qwerty',
  'default',
  'none',
  'null',
  'postgres',
  'mysql',
  'redis',
  'mongo',
  'rabbit',
  'guest',
  'pa',
  'ss',
  'word',
  'p',
  'w',
  'supersecret',
  'topsecret',
  'placeholder',
  'fake',
  'mock',
  'invalid',
  'wrong',
  'bad',
  'good',
  'correct',
  'new',
  'old',
  'abc',
  'xyz',
  'xxx',
  // values that configuration files put where a password goes without being one
  'true',
  'false',
  'yes',
  'no',
  'required',
  'optional',
  'empty',
  'string',
  'str',
  'text',
  'hidden',
  'nil',
  'undefined',
  'confirmed',
  'hashed',
  'encrypted',
  'credentials',
  'credential',
  'redacted',
  'masked',
  'some',
  'foobar',
  'apples',
  'oranges',
]);
/** A version range (`^1.0.0`, `>=2.3`), as package manifests write next to a `passwd` package name. */
const VERSION = /^[~^>=<v]*\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$/;

/** Six or more letters in alphabet order (`uvwxyz`, `PqRstU`): a value someone typed to look random. */
function hasAlphabetRun(v: string): boolean {
  const s = v.toLowerCase();
  let run = 1;
  for (let i = 1; i < s.length; i++) {
    const step = s.charCodeAt(i) - s.charCodeAt(i - 1);
    run = step === 1 && /[a-z]/.test(s[i]!) ? run + 1 : 1;
    if (run >= 6) return true;
  }
  return false;
}

/** Local and documentation hosts: a credential for one of them is a lower-severity finding, not nothing. */
const LOCAL_HOST =
  /@(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|host|hostname|example\.(?:com|org|net)|[\w.-]+\.(?:local|test|example|invalid|localhost))(?![\w.-])/i;

export type Verdict = 'keep' | 'drop' | 'demote';

export interface MatchContext {
  /** The line's text before the secret (at most a few dozen characters). */
  before: string;
  /** The character before the match, '' at the start of the text. */
  prev: string;
  /** The character after the secret, '' at the end of the text. */
  next: string;
  /** The whole line the secret is on. */
  line: string;
}

export function isTemplate(secret: string): boolean {
  return TEMPLATE.test(secret);
}

/** `NonEmptyMaxLength64String`, `ClientRequestToken`: two or more capitalised or lower-case words, few digits. */
function isCamelIdentifier(v: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(v)) return false;
  const parts = v.split(/(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])|\d+/).filter(Boolean);
  return parts.length >= 2 && parts.every((p) => /^[A-Z]?[a-z]{2,}$|^[A-Z]{2,5}$/.test(p));
}

/** Base64 of JSON that names no credential: a pagination or state blob (`eyJOZXh0VG9rZW4iOiBudWxs…`). */
function isJsonBlob(v: string): boolean {
  if (!v.startsWith('eyJ') || v.includes('.')) return false;
  let text: string;
  try {
    text = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
  } catch {
    return false;
  }
  if (!text.startsWith('{"')) return false;
  return !/"(?:auths?|password|passwd|secret|private_key|access_token|refresh_token|api_?key|client_secret|token)"/i.test(
    text,
  );
}

/** A value made only of sample words and punctuation: `tiger`, `bar%25bar`, `my-password-1`. */
export function isSamplePassword(v: string): boolean {
  let decoded = v;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    /* keep as is */
  }
  const words = decoded
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
  if (!words.length) return /^\d{1,8}$/.test(decoded); // 1234, 123456
  return words.every((w) => SAMPLE_WORDS.has(w) || (w.length >= 6 && /pass(?:word)?|secret/.test(w)));
}

/** The verdict on one match. Rules without the `generic` or `password` tag only drop templates. */
export function judge(rule: CompiledRule, secret: string, ctx: MatchContext): Verdict {
  if (isTemplate(secret)) return 'drop';
  const tags = rule.spec.tags ?? [];
  const byKey = tags.includes('generic') || tags.includes('password');
  if (!byKey) return 'keep';
  const quoted = /["'`]$/.test(ctx.before);
  // the key the value is assigned to: `"NextToken": "`, `self.cached_token_key = '`
  const key = KEY_BEFORE.exec(ctx.before)?.[1] ?? '';
  // a keyword inside an ARN, path or URL (`:secret:MyDb-AbC`, `/password/`) is not an assignment
  if (ctx.prev === ':' || ctx.prev === '/') return 'drop';
  if (NON_SECRET_KEY.test(key)) return 'drop';
  if (ctx.next === '(') return 'drop'; // a call: token := base64.StdEncoding.EncodeToString(…)
  if (!quoted && (DOTTED_REFERENCE.test(secret) || isCamelIdentifier(secret))) return 'drop'; // a reference or a type
  if (SIGV4_SCOPE.test(secret) || NAMESPACED_ID.test(secret)) return 'drop';
  if (HEX_DIGEST.test(secret) && DIGEST_KEY.test(key)) return 'drop';
  if (isJsonBlob(secret)) return 'drop';
  // sample values: `SomeKindOfPassword123`, `generatedwebdavpassword1`, `abcd1234…`, `a1b2c3…`
  if (/passw(?:[o0]r)?d|example|abcd1234|a1b2c3/i.test(secret) || isSamplePassword(secret) || hasAlphabetRun(secret))
    return 'drop';
  if (VERSION.test(secret)) return 'drop';
  if (tags.includes('password') && LOCAL_HOST.test(ctx.line)) return 'demote';
  return 'keep';
}
