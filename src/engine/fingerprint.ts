import { createRequire } from 'node:module';

// node:crypto costs about 13 ms to load, a third of the pre-commit budget; a clean commit never
// needs it, so it is loaded on the first finding.
let crypto: typeof import('node:crypto') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  return (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

/**
 * One-shot hashing (node 20.12+) makes no Hash object: a million findings hash two million times,
 * and each Hash object holds native memory until a collection finalises it.
 */
type OneShot = (algorithm: string, data: string | Uint8Array, encoding: 'hex' | 'binary') => string;

function digest(algorithm: string, data: string | Uint8Array, encoding: 'hex' | 'binary'): string {
  const c = nodeCrypto();
  const hash = (c as unknown as { hash?: OneShot }).hash;
  return hash ? hash(algorithm, data, encoding) : c.createHash(algorithm).update(data).digest(encoding);
}

export function sha256Hex(data: string): string {
  return digest('sha256', data, 'hex');
}

/** A chunk's identity for the blob scanner's cache (not a secret's: those use sha256Hex). */
export function sha1Binary(data: Uint8Array): string {
  return digest('sha1', data, 'binary');
}

/**
 * Fingerprints depend on the rule, the path and a hash of the secret, never on line numbers or
 * commit ids, so a baseline survives edits, rebases and squashes.
 */
export function fingerprint(ruleId: string, path: string, secret?: string): string {
  const secretPart = secret === undefined ? '' : sha256Hex(secret);
  return sha256Hex(`${ruleId}\0${path}\0${secretPart}`).slice(0, 32);
}

/**
 * What a committed file may hold for a finding: its fingerprint under a key kept outside the file
 * (HMAC-SHA256). The plain fingerprint is a fast hash of rule, path and secret, all but the secret
 * written beside it, so a dictionary of a few hundred likely passwords recovers a short one in
 * milliseconds; a salt stored in the same file would not change that, and a slow hash only
 * multiplies the milliseconds. Without the key, nothing can be tried.
 */
export function keyedFingerprint(key: Buffer, plain: string): string {
  return nodeCrypto().createHmac('sha256', key).update(plain).digest('hex').slice(0, 32);
}

/** A key's public name, so a baseline can say which key it needs without revealing it. */
export function keyId(key: Buffer): string {
  return nodeCrypto().createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function randomKey(): Buffer {
  return nodeCrypto().randomBytes(32);
}

/**
 * Shows enough of a secret to recognise it (its well-known prefix) and nothing that helps use it.
 * The length is not revealed either.
 */
export function redact(secret: string): string {
  const keep = secret.length >= 24 ? 4 : secret.length >= 12 ? 2 : 0;
  return `${secret.slice(0, keep)}********`;
}
