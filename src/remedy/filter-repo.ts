/** Which git-filter-repo is installed, found by probing its options, not its version string. */
import { gitRaw } from '../sources/git.js';

export interface FilterRepoInfo {
  installed: boolean;
  /** --sensitive-data-removal (2.47+): fetches every ref first, keeps origin, records first changed commits. */
  sdr: boolean;
}

export const INSTALL_HINT =
  'install git-filter-repo: apt-get install git-filter-repo (Debian/Ubuntu), brew install git-filter-repo, or pipx install git-filter-repo';

export async function detectFilterRepo(cwd: string): Promise<FilterRepoInfo> {
  const r = await gitRaw(['filter-repo', '-h'], { cwd }).catch(() => undefined);
  const text = r ? r.stdout.toString('utf8') + r.stderr : '';
  if (!r || r.code !== 0 || !/--invert-paths/.test(text)) return { installed: false, sdr: false };
  return { installed: true, sdr: /--sensitive-data-removal/.test(text) };
}
