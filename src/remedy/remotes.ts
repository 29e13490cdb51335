/**
 * Remotes and what each forge needs around a history rewrite. A remote is classified by the URL
 * written in its configuration (remote.<name>.url), before any url.<base>.insteadOf rewriting,
 * because that is the address its owner recognises.
 */
import { isAbsolute, resolve } from 'node:path';
import { gitRaw } from '../sources/git.js';

export type Provider = 'github' | 'gitlab' | 'bitbucket' | 'azure' | 'generic';

export interface RemoteInfo {
  name: string;
  url: string;
  pushUrl?: string;
  provider: Provider;
}

export function classify(url: string): Provider {
  const host = (
    /^[a-z+]+:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(url)?.[1] ??
    /^(?:[^@]+@)?([^:/]+):/.exec(url)?.[1] ??
    ''
  ).toLowerCase();
  if (host === 'github.com' || host.endsWith('.github.com') || host.startsWith('github.')) return 'github';
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) return 'gitlab';
  if (host === 'bitbucket.org' || host.startsWith('bitbucket.')) return 'bitbucket';
  if (host === 'dev.azure.com' || host === 'ssh.dev.azure.com' || host.endsWith('.visualstudio.com')) return 'azure';
  return 'generic';
}

export async function listRemotes(root: string): Promise<RemoteInfo[]> {
  const r = await gitRaw(['config', '--get-regexp', '^remote\\..*\\.(url|pushurl)$'], { cwd: root });
  const byName = new Map<string, RemoteInfo>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /^remote\.(.+)\.(url|pushurl) (.+)$/.exec(line);
    if (!m) continue;
    const [, name, key, value] = m;
    const info = byName.get(name!) ?? { name: name!, url: '', provider: 'generic' as Provider };
    if (key === 'url' && !info.url) info.url = value!;
    if (key === 'pushurl' && !info.pushUrl) info.pushUrl = value!;
    byName.set(name!, info);
  }
  return [...byName.values()].filter((x) => x.url).map((x) => ({ ...x, provider: classify(x.url) }));
}

/**
 * One repository a purge pushes to, or only backs up. Each gets its own namespace in the backup and
 * the rewrite (`refs/leakguard/t<N>/`), holding exactly the refs that repository advertised, so what
 * goes back to it is its own refs, rewritten, and never another remote's or the local clone's.
 */
export interface Target {
  /** The remote's name in this clone's configuration. */
  remote: string;
  /** As configured, for people (credentials in it are masked). */
  display: string;
  /** Where git really talks to: insteadOf/pushInsteadOf applied, a relative path made absolute. */
  url: string;
  /** push: a place `git push <remote>` writes to; fetch-only: a fetch URL no push reaches, only backed up. */
  role: 'push' | 'fetch-only';
  ns: string;
}

/** A URL that is a local path (not scheme://, not scp-like host:path) is resolved from the repository, as git does there. */
export function absoluteUrl(url: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]*:/.test(url) || isAbsolute(url)) return url;
  return resolve(base, url);
}

/** user:password@ in a URL is never printed. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}

async function urls(root: string, name: string, push: boolean): Promise<string[]> {
  const r = await gitRaw(['remote', 'get-url', '--all', ...(push ? ['--push'] : []), name], { cwd: root });
  return r.code === 0 ? r.stdout.toString('utf8').split('\n').filter(Boolean) : [];
}

/**
 * The push targets of every remote as git resolves them (`git remote get-url --push --all`: every
 * pushurl, or the url with pushInsteadOf), then fetch URLs that no push reaches, which are backed up
 * and checked but cannot be written through this remote.
 */
export async function resolveTargets(root: string, names: string[]): Promise<Target[]> {
  const out: Target[] = [];
  for (const name of names) {
    const push = await urls(root, name, true);
    const fetch = await urls(root, name, false);
    const rawPush = (await gitRaw(['config', '--get-all', `remote.${name}.pushurl`], { cwd: root })).stdout
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    const rawUrl = (await gitRaw(['config', '--get-all', `remote.${name}.url`], { cwd: root })).stdout
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    push.forEach((u, i) =>
      out.push({
        remote: name,
        display: maskUrl((rawPush.length ? rawPush[i] : rawUrl[i]) ?? u),
        url: absoluteUrl(u, root),
        role: 'push',
        ns: '',
      }),
    );
    fetch.forEach((u, i) => {
      const abs = absoluteUrl(u, root);
      if (!out.some((t) => t.url === abs))
        out.push({ remote: name, display: maskUrl(rawUrl[i] ?? u), url: abs, role: 'fetch-only', ns: '' });
    });
  }
  return out.map((t, i) => ({ ...t, ns: `refs/leakguard/t${i}` }));
}

export interface ProviderNotes {
  label: string;
  /** What to relax before the force push. */
  before: string[];
  /** What to put back right after it. */
  after: string[];
  /** References the push cannot rewrite, which keep the old commits reachable on the server. */
  unreachable: string[];
  /** The server-side clean-up that actually removes the old objects. */
  serverPurge: string[];
}

export const PROVIDERS: Record<Provider, ProviderNotes> = {
  github: {
    label: 'GitHub',
    before: [
      'Settings → Branches / Rules → Rulesets: allow force pushes on every protected branch (or disable the rule) and lift tag protection rules for the tags being rewritten.',
      'Merge or close open pull requests first: their diffs break after the rewrite.',
    ],
    after: ['Restore every branch protection rule, ruleset and tag rule you relaxed, immediately after the push.'],
    unreachable: [
      'refs/pull/*/head and refs/pull/*/merge are read-only ("deny updating a hidden ref") and keep the old commits reachable.',
      "Forks keep their own copies; GitHub cannot rewrite them or give you their owners' contacts.",
      'Cached views of old commits stay visible by SHA until GitHub runs garbage collection.',
    ],
    serverPurge: [
      'Open a GitHub Support ticket ("remove sensitive data"): give owner/repo, the number of affected pull requests, the first changed commits (filter-repo\'s first-changed-commits / commit-map), and any orphaned LFS objects. Support dereferences the pull requests, runs garbage collection and clears cached views.',
      'Close secret-scanning alerts as "revoked" once the credential is rotated.',
    ],
  },
  gitlab: {
    label: 'GitLab',
    before: [
      'Settings → Repository → Protected branches: set "Allowed to force push" (or unprotect) for every protected branch; the default branch is protected by default.',
      'Settings → Repository → Protected tags: unprotect the tags being rewritten.',
    ],
    after: ['Re-protect the branches and tags exactly as before.'],
    unreachable: [
      'refs/merge-requests/*, refs/pipelines/*, refs/environments/* and hidden refs/keep-around/* keep the old commits.',
      "Commit data is also cached in GitLab's database.",
    ],
    serverPurge: [
      'Wait 30 minutes, then Settings → Repository → Repository cleanup: upload filter-repo\'s commit-map; then run housekeeping ("Prune unreachable objects").',
      'Or use Settings → Repository → Remove blobs (blob IDs) / Redact text (GitLab 17.1+, Owner role).',
      'Repository cleanup does not work on forked projects.',
    ],
  },
  bitbucket: {
    label: 'Bitbucket',
    before: [
      'Repository settings → Branch restrictions: allow "Rewriting history" (and deletion) on the affected branches.',
    ],
    after: ['Restore the branch restrictions.'],
    unreachable: ['Hidden pull-request refs keep the diffs of merged pull requests.', 'Forks keep their own copies.'],
    serverPurge: [
      'Ask Atlassian Support to run garbage collection on the repository (this may remove pull-request history).',
    ],
  },
  azure: {
    label: 'Azure DevOps',
    before: [
      'Project settings → Repositories → Security: grant "Force push (rewrite history, delete branches and tags)" and "Bypass policies when pushing" to the account that pushes.',
    ],
    after: ['Revoke those two permissions again.'],
    unreachable: [
      'Pull-request refs (refs/pull/*) keep old commits; the service may still serve unreferenced objects.',
    ],
    serverPurge: ['Contact Microsoft support to purge the unreferenced objects.'],
  },
  generic: {
    label: 'self-hosted or other',
    before: [
      'If the server denies non-fast-forward pushes or deletions (receive.denyNonFastForwards, receive.denyDeletes, a pre-receive hook, a forge protection setting), lift that for the push.',
    ],
    after: ["Put the server's protection back."],
    unreachable: ['Any other refs on the server (review refs, backups, mirrors) still reach the old commits.'],
    serverPurge: [
      "On the server: git reflog expire --expire=now --all && git gc --prune=now (or the forge's admin garbage collection).",
    ],
  },
};
