/**
 * The purge plan for people (Markdown), for machines (JSON) and for running (a bash script that
 * does the mechanical steps, stops at each manual one unless given --yes, and refuses to push when
 * verification fails). None of them contains a secret.
 */
import type { Plan } from './plan.js';
import { publicPlan } from './plan.js';
import { PROVIDERS, type RemoteInfo } from './remotes.js';
import { INSTALL_HINT } from './filter-repo.js';

export interface Step { n: number; title: string; manual: boolean; text: string[]; commands: string[] }

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function filterRepoArgs(plan: Plan): string[] {
  const args = ['--force'];
  args.push(plan.filterRepo.sdr ? '--sensitive-data-removal' : '--replace-refs delete-no-add');
  if (plan.removePaths.length) args.push('--invert-paths', '--paths-from-file "$WORKDIR/paths.txt"');
  if (plan.replacements.length) args.push('--replace-text "$WORKDIR/expressions.txt"');
  return args;
}

/** Where each remote's branches are kept in the backup and the rewrite: outside refs/remotes/, which filter-repo drops. */
const BRANCHES = (name: string) => `refs/leakguard/remotes/${name}`;

function fetchCommand(r: RemoteInfo, dir: string): string {
  return `git -C "${dir}" fetch --no-prune ${q(r.url)} '+refs/heads/*:${BRANCHES(r.name)}/*' 'refs/tags/*:refs/tags/*'`;
}

function pushCommand(r: RemoteInfo): string {
  return `git -C "$WORK" push --force --prune ${q(r.pushUrl ?? r.url)} '+${BRANCHES(r.name)}/*:refs/heads/*' '+refs/tags/*:refs/tags/*'`;
}

export function planSteps(plan: Plan): Step[] {
  const steps: Step[] = [];
  const add = (title: string, manual: boolean, text: string[], commands: string[] = []) => steps.push({ n: steps.length + 1, title, manual, text, commands });
  add('Rotate every exposed credential first', true, [
    'A secret that reached a remote must be treated as known to others: rewriting history hides it from new clones, but every existing clone, fork, cache and CI log still has it. Rotation is what makes it harmless; the rewrite is clean-up.',
    ...plan.credentials.map((c) => `${c.description}${c.secret ? ` (${c.secret})` : ''} in ${c.paths.slice(0, 3).join(', ')}${c.paths.length > 3 ? ` and ${c.paths.length - 3} more` : ''}${c.firstCommit ? `, first committed in ${c.firstCommit.slice(0, 12)}` : ''}: ${c.rotate}`),
    'Confirm each old credential is rejected by its service before going on, and note when.',
  ]);
  add('Freeze pushes and tell collaborators', true, [
    'Ask everyone to stop pushing to every remote until the rewrite is done; merge or close open pull/merge requests; pause CI that pushes (release bots, mirrors).',
    'Tell collaborators that history will be rewritten and that they will have to re-clone.',
  ]);
  add('Back up the repository and every remote', false, [
    'A mirror clone of this repository in a dated directory, with every remote\'s current branches and tags fetched into it, before anything changes. It contains the secrets: keep it encrypted and delete it when your retention period ends.',
    'Tags are fetched without force: if two remotes hold different commits under the same tag, the fetch stops and the histories must be reconciled first.',
  ], ['git clone --mirror --no-local "$REPO" "$BACKUP"', ...plan.repository.remotes.map((r) => fetchCommand(r, '$BACKUP'))]);
  add('Rewrite history in a fresh mirror', false, [
    'The rewrite runs in a disposable mirror clone, never in this working clone, so uncommitted work here is untouched (it is --force\'d because the mirror holds every remote\'s refs, which the fresh-clone check would refuse).',
    `git-filter-repo ${plan.filterRepo.installed ? (plan.filterRepo.sdr ? 'with --sensitive-data-removal' : 'without --sensitive-data-removal (older than 2.47): --replace-refs delete-no-add keeps refs/replace/* out') : 'is NOT installed: ' + INSTALL_HINT}.`,
    ...plan.removePaths.map((t) => `remove ${t.spec} (${t.reason}; ${t.paths.slice(0, 3).join(', ')}${t.paths.length > 3 ? ` and ${t.paths.length - 3} more` : ''})`),
    ...(plan.replacements.length ? [`replace ${plan.replacements.length} secret(s) inside files that stay (${[...new Set(plan.replacements.flatMap((r) => r.paths))].slice(0, 5).join(', ')}): every other byte of those files is kept. The expressions file holds the secrets, so it is written by leakguard into a private temporary directory and deleted at the end.`] : []),
  ], [
    'git clone --mirror --no-local "$BACKUP" "$WORK"',
    `git -C "$WORK" filter-repo ${filterRepoArgs(plan).join(' ')}`,
  ]);
  add('Verify before pushing', false, [
    'A fresh history scan of the rewritten mirror must find nothing the plan purges, every branch and tag must still exist, and every file the plan did not target must be byte-identical at every tip. If anything fails, nothing is pushed.',
  ], ['leakguard purge --verify --plan-file plan.json --old "$BACKUP" --new "$WORK" --replacements "$WORKDIR/expressions.txt"']);
  const pushText: string[] = [];
  if (!plan.repository.remotes.length) pushText.push('There are no remotes; nothing to push. Replace this repository with the rewritten mirror yourself.');
  for (const r of plan.repository.remotes) {
    const p = PROVIDERS[r.provider];
    pushText.push(`${r.name} — ${p.label} (${r.url}):`,
      ...p.before.map((x) => `  before: ${x}`),
      `  push branches and tags with explicit refspecs (never --mirror from a working clone, which would publish refs/remotes/*): ${pushCommand(r)}`,
      ...p.after.map((x) => `  after: ${x}`),
      ...p.unreachable.map((x) => `  the push cannot fix: ${x}`),
      ...p.serverPurge.map((x) => `  server-side purge: ${x}`));
  }
  add('Push to every remote', true, pushText, plan.repository.remotes.map(pushCommand));
  add('Aftercare', true, [
    'Every clone must be replaced: re-clone (preferred) or, if that is impossible, rebase local work onto the new history — never merge old and new history, which brings the secret back.',
    'Detect an old clone pushing the old history back: the first changed commits must never reappear (`git cat-file -t <old-commit>` must fail in every clone); ban them with a pre-receive hook where you run the server, and watch the remotes with `git ls-remote`.',
    'Re-scan a fresh clone of each remote: git clone --bare <url> check.git && leakguard scan --history check.git (the script does this).',
    'Install the pre-commit hook (leakguard hook install) and commit the .gitignore entries (leakguard gitignore) so it does not happen again.',
    'Delete the backup once the incident is closed; it still holds the secrets.',
  ]);
  return steps;
}

export function renderJson(plan: Plan): string {
  return `${JSON.stringify({ ...publicPlan(plan), steps: planSteps(plan) }, null, 2)}\n`;
}

const NOTHING = 'Nothing to purge: a history scan of every ref found no secret, credential file or oversized artifact, so history needs no rewrite.';

/** A rewrite with nothing to remove would still rewrite every commit (signatures included): never plan one. */
export function nothingToPurge(plan: Plan): boolean {
  return plan.removePaths.length === 0 && plan.replacements.length === 0;
}

export function renderMarkdown(plan: Plan): string {
  const out: string[] = [`# Purge plan for ${plan.repository.root}`, ''];
  if (nothingToPurge(plan)) return `${[...out, NOTHING, ''].join('\n')}`;
  out.push(`${plan.credentials.length} credential(s) to rotate, ${plan.removePaths.length} path target(s) to remove from history, ${plan.replacements.length} secret(s) to replace inside kept files, ${plan.repository.remotes.length} remote(s) to push to.`, '');
  out.push('Run it with the generated script: `leakguard purge --plan --format sh --output purge.sh`, review it, then `bash purge.sh` from inside this repository (it stops at each manual step; `--yes` skips the pauses).', '');
  if (!plan.filterRepo.installed) out.push(`> **git-filter-repo is not installed.** The rewrite needs it: ${INSTALL_HINT}.`, '');
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
  if (nothingToPurge(plan)) return `#!/usr/bin/env bash\n# leakguard purge plan for ${plan.repository.root}\necho ${q(NOTHING)}\n`;
  const remotes = plan.repository.remotes;
  const pathsFile = plan.removePaths.map((t) => t.spec).join('\n');
  const manualBlock = (s: Step) => `manual ${q(`${s.n}. ${s.title}`)} ${s.text.map(q).join(' \\\n  ')}`;
  const steps = planSteps(plan);
  const remoteBlocks = remotes.map((r) => {
    const p = PROVIDERS[r.provider];
    return [
      `manual ${q(`Before pushing to ${r.name} (${p.label}, ${r.url})`)} ${p.before.map(q).join(' ')}`,
      `push_one ${q(r.name)} ${q(r.pushUrl ?? r.url)}`,
      `check_remote ${q(r.name)} ${q(r.pushUrl ?? r.url)} ${q(p.unreachable.join(' '))}`,
      `manual ${q(`After pushing to ${r.name}`)} ${[...p.after, ...p.serverPurge].map(q).join(' ')}`,
    ].join('\n');
  }).join('\n\n');
  return `#!/usr/bin/env bash
# leakguard purge plan for ${plan.repository.root}
# Review it, then run it from inside that repository: bash purge.sh [--yes]
# It backs up, rewrites a disposable mirror, verifies, and pushes to each remote. It never changes
# this working clone, stops at every manual step unless given --yes, and pushes nothing if
# verification fails. It holds no secret: the replacement expressions are written at run time into
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
run() { printf '+ %s\\n' "$*"; "$@"; }
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
  echo "this plan was made for another repository (${plan.repository.root.replace(/"/g, '')}); make a new one here with: leakguard purge --plan --format sh" >&2
  exit 2
fi
if ! git filter-repo -h >/dev/null 2>&1; then
  echo ${q(`git-filter-repo is not installed; ${INSTALL_HINT}`)} >&2
  exit 2
fi
if [ ! -f "$LEAKGUARD_BIN" ]; then echo "leakguard is not at $LEAKGUARD_BIN; regenerate this script with leakguard purge --plan --format sh" >&2; exit 2; fi
# network commands use this clone's url.<base>.insteadOf settings, so they reach what its own pushes reach
G=(git)
while read -r key value; do G+=(-c "$key=$value"); done < <(git config --get-regexp '^url\\..*\\.(insteadof|pushinsteadof)$' 2>/dev/null || true)
STAMP=$(date +%Y%m%d-%H%M%S)
WORKDIR=$(mktemp -d "\${TMPDIR:-/tmp}/leakguard-purge.XXXXXX")
chmod 700 "$WORKDIR"
trap 'rm -rf "$WORKDIR"' EXIT
BACKUP="\${LEAKGUARD_BACKUP_DIR:-$(dirname "$REPO")}/$(basename "$REPO")-backup-$STAMP.git"
WORK="$WORKDIR/work.git"
umask 077
cat > "$WORKDIR/plan.json" <<'LEAKGUARD_PLAN'
${renderJson(plan).trimEnd()}
LEAKGUARD_PLAN
${plan.warnings.map((w) => `echo ${q(`warning: ${w}`)} >&2`).join('\n')}
${git_status_warning()}
${manualBlock(steps[0]!)}

${manualBlock(steps[1]!)}

say '3. Backup: a mirror clone of this repository, with every remote fetched into it'
run git clone -q --mirror --no-local "$REPO" "$BACKUP"
${remotes.map((r) => `if ! run "\${G[@]}" -C "$BACKUP" fetch -q --no-prune ${q(r.url)} '+refs/heads/*:${BRANCHES(r.name)}/*' 'refs/tags/*:refs/tags/*'; then
  echo ${q(`fetching ${r.name} (${r.url}) failed: if a tag differs between remotes, reconcile them first; nothing was changed`)} >&2
  exit 1
fi`).join('\n')}
echo "backup: $BACKUP (it contains the secrets: keep it encrypted, delete it when done)"

say '4. Rewrite history in a disposable mirror'
run git clone -q --mirror --no-local "$BACKUP" "$WORK"
cat > "$WORKDIR/paths.txt" <<'LEAKGUARD_PATHS'
${pathsFile}
LEAKGUARD_PATHS
${plan.replacements.length ? 'lg purge --write-replacements "$WORKDIR/expressions.txt" --plan-file "$WORKDIR/plan.json" --path "$REPO"' : ': > "$WORKDIR/expressions.txt"'}
run git -C "$WORK" filter-repo ${filterRepoArgs(plan).join(' ')}

say '5. Verify before pushing'
if ! lg purge --verify --plan-file "$WORKDIR/plan.json" --old "$BACKUP" --new "$WORK" --replacements "$WORKDIR/expressions.txt"; then
  echo 'verification failed: nothing was pushed. The backup and this clone are unchanged.' >&2
  exit 1
fi

push_one() {
  local name=$1 url=$2 out
  printf "+ git push --force --prune %s '+refs/leakguard/remotes/%s/*:refs/heads/*' '+refs/tags/*:refs/tags/*'\\n" "$url" "$name"
  if ! out=$("\${G[@]}" -C "$WORK" push --force --prune "$url" "+refs/leakguard/remotes/$name/*:refs/heads/*" '+refs/tags/*:refs/tags/*' 2>&1); then
    printf 'push to %s (%s) was rejected, so the script stops here; remotes after it were not pushed:\\n%s\\n' "$name" "$url" "$out" >&2
    exit 1
  fi
  printf '%s\\n' "$out"
}

check_remote() {
  local name=$1 url=$2 note=$3 want have other
  want=$( { git -C "$WORK" for-each-ref --format='%(objectname) %(refname)' "refs/leakguard/remotes/$name/" | sed "s# refs/leakguard/remotes/$name/# refs/heads/#"; git -C "$WORK" for-each-ref --format='%(objectname) %(refname)' refs/tags/; } | sort)
  have=$("\${G[@]}" ls-remote "$url" 'refs/heads/*' 'refs/tags/*' | grep -v '\\^{}$' | awk '{print $1" "$2}' | sort)
  if [ "$want" = "$have" ]; then echo "$name: every branch and tag now points into the rewritten history"; else echo "warning: $name's branches and tags differ from the rewritten history; compare git ls-remote $url" >&2; fi
  other=$("\${G[@]}" ls-remote "$url" | awk '{print $2}' | grep -v -E '^(HEAD|refs/heads/.*|refs/tags/.*)$' || true)
  if [ -n "$other" ]; then printf '%s keeps refs the push cannot rewrite (they still reach the old commits):\\n%s\\n%s\\n' "$name" "$other" "$note" >&2; fi
}

say '6. Push to every remote'
${remotes.length ? remoteBlocks : "echo 'no remotes: nothing to push; the rewritten mirror is in '\"$WORK\"' until this script exits'"}

say '7. Aftercare: re-scan a fresh clone of every remote'
# a plain clone sees what a new collaborator gets: branches and tags (hidden review refs were listed above)
${remotes.map((r) => `run "\${G[@]}" clone -q --bare ${q(r.pushUrl ?? r.url)} "$WORKDIR/check-${r.name}.git"\nlg purge --verify --plan-file "$WORKDIR/plan.json" --new "$WORKDIR/check-${r.name}.git"`).join('\n')}
${manualBlock(steps[steps.length - 1]!)}
echo 'done. The backup is at '"$BACKUP"
`;
}

function git_status_warning(): string {
  return `if [ -n "$(git status --porcelain 2>/dev/null)" ]; then echo 'warning: this clone has uncommitted changes; they are not touched, but this clone must be replaced after the push' >&2; fi`;
}
