/**
 * The purge plan for people (Markdown), for machines (JSON) and for running (a bash script that
 * does the mechanical steps, stops at each manual one unless given --yes, and refuses to push when
 * verification fails). None of them contains a secret.
 */
import type { Plan } from './plan.js';
import { inMessages, publicPlan } from './plan.js';
import { PROVIDERS } from './remotes.js';
import { INSTALL_HINT } from './filter-repo.js';
import { planId } from './execute.js';
import { shown } from './verify.js';

export interface Step {
  n: number;
  title: string;
  manual: boolean;
  text: string[];
  commands: string[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function filterRepoArgs(plan: Plan): string[] {
  const args = ['--force'];
  args.push(plan.filterRepo.sdr ? '--sensitive-data-removal' : '--replace-refs delete-no-add');
  if (plan.removePaths.length) args.push('--invert-paths', '--paths-from-file paths.txt');
  if (plan.replacements.length) args.push('--replace-text expressions.txt');
  if (inMessages(plan.replacements)) args.push('--replace-message expressions.txt');
  return args;
}

const listed = (paths: string[], n: number) =>
  `${paths.slice(0, n).map(shown).join(', ')}${paths.length > n ? ` and ${paths.length - n} more` : ''}`;

/** Each remote's refs live in their own namespace in the backup and the rewrite (N counts the remotes' URLs). */
const NS = 'refs/leakguard/t<N>';

export function planSteps(plan: Plan): Step[] {
  const steps: Step[] = [];
  const add = (title: string, manual: boolean, text: string[], commands: string[] = []) =>
    steps.push({ n: steps.length + 1, title, manual, text, commands });
  add('Rotate every exposed credential first', true, [
    'A secret that reached a remote must be treated as known to others: rewriting history hides it from new clones, but every existing clone, fork, cache and CI log still has it. Rotation is what makes it harmless; the rewrite is clean-up.',
    ...plan.credentials.map(
      (c) =>
        `${c.description}${c.secret ? ` (${c.secret})` : ''} in ${listed(c.paths, 3)}${c.firstCommit ? `, first committed in ${c.firstCommit.slice(0, 12)}` : ''}: ${c.rotate}`,
    ),
    'Confirm each old credential is rejected by its service before going on, and note when.',
  ]);
  add('Freeze pushes and tell collaborators', true, [
    'Ask everyone to stop pushing to every remote until the rewrite is done; merge or close open pull/merge requests; pause CI that pushes (release bots, mirrors).',
    'Tell collaborators that history will be rewritten and that they will have to re-clone.',
  ]);
  add(
    'Back up the repository and every remote',
    false,
    [
      "A mirror clone of this repository, and every ref each remote advertises (branches, tags, notes, review refs) fetched whole into that remote's own namespace, before anything changes. A remote whose pushurl differs from its url is backed up from both places. It contains the secrets: keep it encrypted and delete it when your retention period ends.",
      "Remotes never mix: each one later gets back exactly the refs it had, rewritten, and never another remote's or this clone's (a tag only one remote or only this clone has stays where it was).",
      'A state file next to the backup records each remote as planned, pushed and verified: running the same script again resumes where it stopped.',
    ],
    [
      'git clone --mirror --no-local "$REPO" "$STATE/backup.git"',
      ...plan.repository.remotes.map(
        (r) =>
          `git -C "$STATE/backup.git" fetch --no-tags <each push URL of ${r.name}, and its fetch URL if different> '+refs/*:${NS}/*'`,
      ),
    ],
  );
  add(
    'Rewrite history in a fresh mirror',
    false,
    [
      "The rewrite runs in a disposable mirror clone, never in this working clone, so uncommitted work here is untouched (it is --force'd because the mirror holds every remote's refs, which the fresh-clone check would refuse).",
      `git-filter-repo ${plan.filterRepo.installed ? (plan.filterRepo.sdr ? 'with --sensitive-data-removal' : 'without --sensitive-data-removal (older than 2.47): --replace-refs delete-no-add keeps refs/replace/* out') : 'is NOT installed: ' + INSTALL_HINT}.`,
      ...plan.removePaths.map((t) => `remove ${t.spec} (${t.reason}; ${listed(t.paths, 3)})`),
      ...(inMessages(plan.replacements)
        ? [
            `replace the secrets found in commit and tag messages (--replace-message); notes are rewritten like files and re-filed under the rewritten commits`,
          ]
        : []),
      ...(plan.replacements.length
        ? [
            `replace ${plan.replacements.length} secret(s) inside files that stay (${listed([...new Set(plan.replacements.flatMap((r) => r.paths))], 5)}): every other byte of those files is kept. The expressions file holds the secrets, so it is written by leakguard at run time, from a fresh scan of the backup (every remote's refs), into a private temporary directory and deleted at the end.`,
          ]
        : []),
    ],
    [
      'git clone --mirror --no-local "$STATE/backup.git" "$STATE/rewritten.git"',
      `git -C "$STATE/rewritten.git" filter-repo ${filterRepoArgs(plan).join(' ')}`,
    ],
  );
  add('Verify before pushing', false, [
    'A fresh full history scan of the rewrite (every ref of every remote, messages and notes included) must find nothing at all to purge, every ref of the backup must still exist, and every file the plan did not target must be byte-identical at every tip. If anything fails, nothing is pushed.',
  ]);
  const pushText: string[] = [];
  if (!plan.repository.remotes.length)
    pushText.push('There are no remotes; nothing to push. Replace this repository with the rewritten mirror yourself.');
  for (const r of plan.repository.remotes) {
    const p = PROVIDERS[r.provider];
    pushText.push(
      `${r.name} — ${p.label} (${r.url}):`,
      ...p.before.map((x) => `  before: ${x}`),
      `  push back exactly ${r.name}'s own refs, rewritten: one atomic push (where the server supports it) with an explicit refspec per ref, each leased on the id the backup holds (--force-with-lease), so a ref someone moved since is never overwritten and a ref the backup lacks is never deleted; then a fresh scan of everything ${r.name} serves`,
      ...p.after.map((x) => `  after: ${x}`),
      ...p.unreachable.map((x) => `  the push cannot fix: ${x}`),
      ...p.serverPurge.map((x) => `  server-side purge: ${x}`),
    );
  }
  add('Push to every remote', true, pushText);
  add('Aftercare', true, [
    'Every clone must be replaced: re-clone (preferred) or, if that is impossible, rebase local work onto the new history — never merge old and new history, which brings the secret back.',
    'Detect an old clone pushing the old history back: the first changed commits must never reappear (`git cat-file -t <old-commit>` must fail in every clone); ban them with a pre-receive hook where you run the server, and watch the remotes with `git ls-remote`.',
    'Re-scan a fresh clone of each remote: git clone --mirror <url> check.git && leakguard scan --history check.git (the script does this after each push).',
    'Install the pre-commit hook (leakguard hook install) and commit the .gitignore entries (leakguard gitignore) so it does not happen again.',
    'Delete the backup once the incident is closed; it still holds the secrets.',
  ]);
  return steps;
}

export function renderJson(plan: Plan): string {
  return `${JSON.stringify({ ...publicPlan(plan), steps: planSteps(plan) }, null, 2)}\n`;
}

const NOTHING =
  'Nothing to purge: a history scan of every ref found no secret, credential file or oversized artifact, so history needs no rewrite.';

/** A rewrite with nothing to remove would still rewrite every commit (signatures included): never plan one. */
export function nothingToPurge(plan: Plan): boolean {
  return plan.removePaths.length === 0 && plan.replacements.length === 0;
}

export function renderMarkdown(plan: Plan): string {
  const out: string[] = [`# Purge plan for ${plan.repository.root}`, ''];
  if (nothingToPurge(plan)) return `${[...out, NOTHING, ''].join('\n')}`;
  out.push(
    `${plan.credentials.length} credential(s) to rotate, ${plan.removePaths.length} path target(s) to remove from history, ${plan.replacements.length} secret(s) to replace inside kept files, ${plan.repository.remotes.length} remote(s) to push to.`,
    '',
  );
  out.push(
    'Run it with the generated script: `leakguard purge --plan --format sh --output purge.sh`, review it, then `bash purge.sh` from inside this repository (it stops at each manual step; `--yes` skips the pauses).',
    '',
  );
  if (!plan.filterRepo.installed)
    out.push(`> **git-filter-repo is not installed.** The rewrite needs it: ${INSTALL_HINT}.`, '');
  for (const w of plan.warnings) out.push(`> **Warning:** ${w}`, '');
  for (const s of planSteps(plan)) {
    out.push(`## ${s.n}. ${s.title}${s.manual ? ' (manual)' : ''}`, '');
    for (const t of s.text) out.push(t.startsWith('  ') ? `   - ${t.trim()}` : `- ${t}`);
    if (s.commands.length) out.push('', '```sh', ...s.commands, '```');
    out.push('');
  }
  return `${out.join('\n')}`;
}

export function renderShell(plan: Plan, leakguard: { node: string; bin: string }): string {
  if (nothingToPurge(plan))
    return `#!/usr/bin/env bash\n# leakguard purge plan for ${shown(plan.repository.root)}\necho ${q(NOTHING)}\n`;
  const remotes = plan.repository.remotes;
  const pathsFile = plan.removePaths.map((t) => t.spec).join('\n');
  const manualBlock = (s: Step) => `manual ${q(`${s.n}. ${s.title}`)} ${s.text.map(q).join(' \\\n  ')}`;
  const steps = planSteps(plan);
  const remoteBlocks = remotes
    .map((r) => {
      const p = PROVIDERS[r.provider];
      return `if ! step ${q(`done:${r.name}`)} 2>/dev/null; then
  manual ${q(`Before pushing to ${r.name} (${p.label}, ${r.url})`)} ${p.before.map(q).join(' ')}
  step ${q(`push:${r.name}`)} || exit 1
  manual ${q(`After pushing to ${r.name}`)} ${[...p.after, ...p.serverPurge].map(q).join(' ')}
fi`;
    })
    .join('\n');
  return `#!/usr/bin/env bash
# leakguard purge plan for ${shown(plan.repository.root)}
# Review it, then run it from inside that repository: bash purge.sh [--yes]
# It backs up every remote into its own namespace, rewrites a disposable copy, verifies it, and
# pushes each remote exactly its own refs back, then verifies what each remote serves. It never
# changes this clone, stops at every manual step unless given --yes, and pushes nothing if
# verification fails. Run again after a stop, it resumes (the state file is next to the backup).
# It holds no secret and no hash of one: the replacement expressions are written at run time into
# a private temporary directory and deleted on exit.
set -euo pipefail
YES=0
for arg in "$@"; do
  case "$arg" in
    --yes) YES=1 ;;
    *) echo "usage: bash $0 [--yes]" >&2; exit 2 ;;
  esac
done
LEAKGUARD_NODE=${q(leakguard.node)}
LEAKGUARD_BIN=${q(leakguard.bin)}
lg() { "$LEAKGUARD_NODE" "$LEAKGUARD_BIN" "$@"; }
say() { printf '\\n==> %s\\n' "$*"; }
manual() {
  printf '\\n[manual] %s\\n' "$1"; shift
  for line in "$@"; do printf '  - %s\\n' "$line"; done
  if [ "$YES" = 1 ]; then echo '  (--yes: continuing)'; return; fi
  if ! { : </dev/tty; } 2>/dev/null; then echo 'a manual step needs confirmation: run this from a terminal, or with --yes' >&2; exit 2; fi
  read -r -p '  Press Enter when this is done (Ctrl-C stops here) ' _ </dev/tty
}

REPO=$(git rev-parse --show-toplevel 2>/dev/null || git rev-parse --absolute-git-dir)
cd "$REPO"
if ! git cat-file -e ${q(`${plan.repository.anchorCommit}^{commit}`)} 2>/dev/null; then
  echo "this plan was made for another repository; make a new one here with: leakguard purge --plan --format sh" >&2
  exit 2
fi
if ! git filter-repo -h >/dev/null 2>&1; then
  echo ${q(`git-filter-repo is not installed; ${INSTALL_HINT}`)} >&2
  exit 2
fi
if [ ! -f "$LEAKGUARD_BIN" ]; then echo "leakguard is not at $LEAKGUARD_BIN; regenerate this script with leakguard purge --plan --format sh" >&2; exit 2; fi
SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
BACKUP_ROOT=$(cd "\${LEAKGUARD_BACKUP_DIR:-$(dirname "$REPO")}" && pwd)
STATE="$BACKUP_ROOT/$(basename "$REPO")-purge-${planId(publicPlan(plan))}"
printf -v LEAKGUARD_RESUME 'cd %q && LEAKGUARD_BACKUP_DIR=%q bash %q --yes' "$REPO" "$BACKUP_ROOT" "$SCRIPT"
export LEAKGUARD_RESUME
WORKDIR=$(mktemp -d "\${TMPDIR:-/tmp}/leakguard-purge.XXXXXX")
chmod 700 "$WORKDIR"
trap 'rm -rf "$WORKDIR"' EXIT
umask 077
step() { lg purge --step "$1" --state "$STATE" --plan-file "$WORKDIR/plan.json" --path "$REPO"; }
cat > "$WORKDIR/plan.json" <<'LEAKGUARD_PLAN'
${renderJson(plan).trimEnd()}
LEAKGUARD_PLAN
cat > "$WORKDIR/paths.txt" <<'LEAKGUARD_PATHS'
${pathsFile}
LEAKGUARD_PATHS
${plan.warnings.map((w) => `echo ${q(`warning: ${w}`)} >&2`).join('\n')}
if [ -f "$STATE/state.json" ]; then
  say "resuming the purge recorded in $STATE"
else
${git_status_warning()}
${manualBlock(steps[0]!)}

${manualBlock(steps[1]!)}
fi

say '3. Backup: a mirror of this repository, and every remote fetched whole into its own namespace'
step backup
echo "backup: $STATE/backup.git (it contains the secrets: keep it encrypted, delete it when done)"

say '4-5. Rewrite a disposable copy, and verify it before anything is pushed'
step rewrite || { echo 'verification failed: nothing was pushed. The backup and this clone are unchanged.' >&2; exit 1; }

say '6. Push to every remote: exactly its own refs, rewritten'
${remotes.length ? remoteBlocks : 'echo \'no remotes: nothing to push; the rewritten copy is in \'"$STATE/rewritten.git"'}
step summary

say '7. Aftercare'
${manualBlock(steps[steps.length - 1]!)}
echo "done. The backup and state are in $STATE"
`;
}

function git_status_warning(): string {
  return `if [ -n "$(git status --porcelain 2>/dev/null || true)" ]; then echo 'warning: this clone has uncommitted changes; they are not touched, but this clone must be replaced after the push' >&2; fi`;
}
