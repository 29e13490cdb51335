/** The rule pack is data that proves itself: every example matches, every negative example does not. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRuleExamples, exampleMatches } from '../src/engine/rule-check.js';
import { compileRule } from '../src/engine/compile.js';
import { loadDefaultRules, loadRuleFile } from '../src/engine/rule-pack.js';
import { ROOT } from './helpers.js';

const RULE_DIR = join(ROOT, 'rules');
const files = readdirSync(RULE_DIR)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const pack = await loadDefaultRules();
const byFile = new Map(
  await Promise.all(files.map(async (f) => [f, await loadRuleFile(join(RULE_DIR, f), true)] as const)),
);

describe('default rule pack', () => {
  it('has one file per family and many rules', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(pack.length).toBeGreaterThanOrEqual(45);
  });

  for (const file of files) {
    describe(file, () => {
      const specs = byFile.get(file)!;
      for (const spec of specs) {
        it(`${spec.id}: examples match, negative examples do not`, () => {
          expect(spec.examples?.length, 'examples').toBeGreaterThan(0);
          expect(spec.negative_examples?.length, 'negative_examples').toBeGreaterThan(0);
          for (const e of spec.examples!) expect(exampleMatches(spec, e), `example ${JSON.stringify(e)}`).toBe(true);
          for (const e of spec.negative_examples!)
            expect(exampleMatches(spec, e), `negative ${JSON.stringify(e)}`).toBe(false);
        });
      }
    });
  }

  it('covers the incident and the required families', () => {
    const ids = new Set(pack.map((r) => r.id));
    for (const id of [
      'gemini-state-folder',
      'dotenv-file',
      'model-weights',
      'large-data-file',
      'google-api-key',
      'google-auth-key',
      'google-oauth-access-token',
      'google-oauth-refresh-token',
      'google-oauth-client-secret',
      'gcp-service-account-key',
      'ssh-private-key-file',
      'private-key-block',
      'pkcs12-file',
      'netrc-file',
      'git-credentials-file',
      'pgpass-file',
      'npmrc-auth-token',
      'pypirc-password',
      'rails-master-key',
      'kamal-secrets',
      'terraform-state',
      'cloud-cli-credentials',
      'htpasswd-file',
      'aws-access-key-id',
      'aws-secret-access-key',
      'github-pat',
      'github-fine-grained-pat',
      'github-app-token',
      'github-oauth-token',
      'gitlab-token',
      'slack-token',
      'stripe-live-key',
      'openai-api-key',
      'anthropic-api-key',
      'huggingface-token',
      'npm-access-token',
      'pypi-upload-token',
      'sendgrid-api-key',
      'twilio-auth-token',
      'azure-storage-account-key',
      'azure-entra-client-secret',
      'jwt',
      'database-url-password',
      'generic-secret-assignment',
    ])
      expect(ids.has(id), id).toBe(true);
  });

  it('the large-file threshold is at most 50 MB by default', () => {
    const spec = pack.find((r) => r.id === 'large-data-file')!;
    expect(spec.min_size).toBeLessThanOrEqual(50_000_000);
  });

  it('the checker itself reports a wrong example', () => {
    const failures = checkRuleExamples([
      {
        id: 'demo',
        description: 'demo',
        severity: 'low',
        regex: 'tok_([a-z0-9]{8})',
        keywords: ['tok_'],
        source: 'inline',
        examples: [{ content: 'tok_short' }],
        negative_examples: [{ content: 'tok_abcd1234' }],
      },
    ]);
    expect(failures.map((f) => f.problem)).toEqual([
      'example does not match: "tok_short"',
      'negative example matches: "tok_abcd1234"',
    ]);
  });

  it('no shipped regex backtracks badly on adversarial input', () => {
    const inputs = [
      'a'.repeat(50_000),
      '='.repeat(50_000),
      ' '.repeat(50_000),
      '-'.repeat(50_000),
      'token='.repeat(10_000),
      'AIza'.repeat(10_000),
      '-----BEGIN PRIVATE KEY-----' + 'A'.repeat(50_000),
      'postgres://' + 'a:'.repeat(20_000),
      'eyJ' + 'a'.repeat(30_000) + '.eyJ' + 'b'.repeat(30_000),
      'aws_secret' + '_'.repeat(20_000),
      'sk-' + 'a'.repeat(50_000),
    ];
    for (const spec of pack.filter((s) => s.regex)) {
      const rule = compileRule(spec);
      for (const text of inputs) {
        const started = performance.now();
        rule.regex!.lastIndex = 0;
        while (rule.regex!.exec(text)) {
          /* drain */
        }
        expect(performance.now() - started, `${spec.id} on ${text.slice(0, 20)}…`).toBeLessThan(250);
      }
    }
  });
});
