/**
 * Checksum validators: each accepts what its issuer's format produces and rejects look-alikes, and
 * a rule that names one drops a match that fails it — in a real scan of a real repository too.
 */
import { describe, expect, it } from 'vitest';
import { base62, bech32, crc32, githubCrc32, pypiMacaroon } from '../src/engine/validators.js';
import { checksummedToken, cli, cliJson, pypiToken as macaroon, Repo } from './helpers.js';

describe('crc32 and base62', () => {
  it('crc32 gives the standard check value', () => {
    // the published check value of CRC-32/ISO-HDLC for the ASCII digits 1-9
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
  it('base62 uses digits, then upper, then lower case, padded on the left', () => {
    expect(base62(0, 6)).toBe('000000');
    expect(base62(61, 2)).toBe('0z');
    expect(base62(62, 1)).toBe('10');
    expect(base62(0xffffffff, 6)).toBe('4gfFC3');
  });
});

describe('github-crc32', () => {
  const good = checksummedToken('ghp', 'Q2w3E4r5T6y7U8i9O0pAsDfGhJkLzX');
  it('accepts a token whose last six characters are the checksum of the thirty before them', () => {
    expect(githubCrc32(good)).toBe(true);
    expect(githubCrc32(checksummedToken('npm', 'Q2w3E4r5T6y7U8i9O0pAsDfGhJkLzX'))).toBe(true);
  });
  it('rejects one changed character, a wrong length and the usual placeholder', () => {
    const flipped = good.slice(0, 10) + (good[10] === 'a' ? 'b' : 'a') + good.slice(11);
    expect(githubCrc32(flipped)).toBe(false);
    expect(githubCrc32(good.slice(0, -1))).toBe(false);
    expect(githubCrc32(`ghp_${'abcdefghijklmnopqrstuvwxyz0123456789'}`)).toBe(false);
  });
});

describe('pypi-macaroon', () => {
  it('accepts a well-formed version-2 macaroon', () => {
    expect(pypiMacaroon(macaroon())).toBe(true);
  });
  it('rejects a cut copy, trailing bytes, a short signature and base64 that only starts right', () => {
    expect(pypiMacaroon(macaroon({ truncate: 5 }))).toBe(false);
    expect(pypiMacaroon(macaroon({ trailing: true }))).toBe(false);
    expect(pypiMacaroon(macaroon({ sigLen: 16 }))).toBe(false);
    expect(pypiMacaroon(`pypi-AgEIcHlwaS5vcmc${'Q'.repeat(80)}`)).toBe(false);
    expect(pypiMacaroon('pypi-not base64!')).toBe(false);
  });
});

describe('bech32', () => {
  it('accepts the BIP 173 valid vectors and rejects a changed character or mixed case', () => {
    for (const v of ['A12UEL5L', 'a12uel5l', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw'])
      expect(bech32(v), v).toBe(true);
    expect(bech32('a12uel5m')).toBe(false);
    expect(bech32('A12uEL5L')).toBe(false);
    expect(bech32('nochecksum')).toBe(false);
  });
});

describe('rules with validate: in a real scan', () => {
  it('report a checksum-valid GitHub token and drop a look-alike of the same shape', () => {
    const real = checksummedToken('ghp', 'n7Hq2LwX9vB4kT6mR1sZ8cY3pD5fJ0');
    const lookalike = `${real.slice(0, -6)}${real.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    const r = Repo.init()
      .write('deploy.sh', `export GITHUB_TOKEN=${real}\n`)
      .write('docs/setup.md', `GITHUB_TOKEN=${lookalike}\n`)
      .add()
      .commit('tokens');
    const { code, report } = cliJson(['scan'], r.dir);
    expect(code).toBe(1);
    // (the generic assignment rule may still see a high-entropy value; the GitHub rule must not)
    const github = report.findings.filter((f: any) => f.ruleId.startsWith('github-'));
    expect(github.map((f: any) => `${f.ruleId} ${f.path}`)).toEqual(['github-pat deploy.sh']);
  });

  it('a user rule naming an unknown validator is a one-line error, exit 2', () => {
    const r = Repo.init()
      .write(
        '.leakguard.yml',
        [
          'rules:',
          '  - id: acme-token',
          '    description: ACME token',
          '    severity: high',
          "    regex: '\\b(acme_[a-z0-9]{16})\\b'",
          '    keywords: [acme_]',
          '    validate: luhn-ish',
        ].join('\n') + '\n',
      )
      .add()
      .commit('config');
    const res = cli(['scan'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/'validate' must be one of github-crc32, pypi-macaroon, bech32/);
  });
});
