/** A progress line for long history scans: only on a terminal, never in CI or with --quiet. */
import { createRequire } from 'node:module';
import { formatBytes } from '../engine/units.js';

export interface Progress {
  update: (p: { phase: string; commits?: number; blobsDone?: number; blobsTotal?: number; bytesDone?: number }) => void;
  stop: () => void;
}

export async function startProgress(stream: NodeJS.WriteStream = process.stderr): Promise<Progress | undefined> {
  if (!stream.isTTY || process.env.CI || process.env.TERM === 'dumb') return undefined;
  // loaded from node_modules only here, so the CLI bundle (and every pre-commit run) stays small
  const ora = createRequire(import.meta.url)('ora') as typeof import('ora');
  const spinner = ora({ stream, text: 'reading history' }).start();
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.blobsDone !== p.blobsTotal) return;
      last = now;
      const parts = [p.phase];
      if (p.commits !== undefined) parts.push(`${p.commits} commits`);
      if (p.blobsTotal !== undefined) parts.push(`${p.blobsDone ?? 0}/${p.blobsTotal} blobs`);
      if (p.bytesDone !== undefined) parts.push(formatBytes(p.bytesDone));
      spinner.text = parts.join(' · ');
    },
    stop() {
      spinner.stop();
    },
  };
}
