import { createHash } from 'node:crypto';

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
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
 * Shows enough of a secret to recognise it (its well-known prefix) and nothing that helps use it.
 * The length is not revealed either.
 */
export function redact(secret: string): string {
  const keep = secret.length >= 24 ? 4 : secret.length >= 12 ? 2 : 0;
  return `${secret.slice(0, keep)}********`;
}
