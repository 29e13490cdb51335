/**
 * Breadth, as data: every shipped rule names its credential family, the README's list of families
 * is generated from those tags and current, and the families other scanners agree on are covered.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultRules } from '../src/engine/rule-pack.js';
import { ROOT, run } from './helpers.js';

const pack = await loadDefaultRules();
const familyTags = (tags: string[] | undefined) =>
  (tags ?? []).filter((t) => t.startsWith('family:')).map((t) => t.slice(7));
const families = new Set(pack.flatMap((s) => familyTags(s.tags)));

// every rule file but artifacts.yml (model weights, data dumps and large files are no credential family)
const TAGGED_FILES = [
  'ai-assistants.yml',
  'credential-files.yml',
  'env-files.yml',
  'generic.yml',
  'passwords.yml',
  'ai-providers.yml',
  'cloud.yml',
  'devops.yml',
  'google.yml',
  'package-registries.yml',
  'payments.yml',
  'private-keys.yml',
  'saas.yml',
  'social.yml',
  'vcs.yml',
];

// families that three or four widely used open-source scanners ship rules for (2026)
const AGREED = `adobe age anthropic artifactory atlassian aws azure bitbucket databricks digitalocean doppler dropbox
  dynatrace facebook github gitlab google grafana hashicorp heroku huggingface linkedin mailchimp mailgun mapbox
  microsoft-teams newrelic npm nuget okta openai postman private-key pypi rubygems sendgrid shopify slack sonar
  sourcegraph square stripe telegram twilio twitch twitter airtable algolia alibaba asana beamer brevo cloudflare
  coinbase confluent contentful crates-io datadog discord docker drone easypost fastly figma finicity finnhub flickr
  frameio gitter gocardless groq hubspot intercom kubernetes launchdarkly linear lob maxmind messagebird netlify
  notion planetscale prefect pulumi rapidapi readme salesforce segment sendbird sentry shippo snyk squarespace
  travisci typeform yandex`
  .split(/\s+/)
  .filter(Boolean);

describe('credential families', () => {
  it('every rule of the tagged files has exactly one family tag, in lower-case-and-dashes form', () => {
    for (const spec of pack.filter((s) => TAGGED_FILES.some((f) => s.source?.endsWith(`/${f}`)))) {
      const tags = familyTags(spec.tags);
      expect(tags, spec.id).toHaveLength(1);
      expect(tags[0], spec.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    }
  });

  it('at least 150 families, including every family that three or four other scanners cover', () => {
    expect(families.size).toBeGreaterThanOrEqual(150);
    // generic-secret, jwt and database-url have rules in generic.yml, whose tags are added there
    expect(AGREED.filter((f) => !families.has(f))).toEqual([]);
  });

  it('the README lists the families the rule files name (npm run rules:families)', () => {
    const r = run(process.execPath, [join(ROOT, 'scripts', 'rules-families.mjs'), '--check'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
