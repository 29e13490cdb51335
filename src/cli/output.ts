/** Where a command's report goes, and how it is rendered. */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ScanReport } from '../types.js';
import type { CompiledRule } from '../engine/compile.js';
import { formatText } from '../report/text.js';
import { jsonChunks } from '../report/json.js';
import { sarifChunks } from '../report/sarif.js';
import { formatGitlab } from '../report/gitlab.js';
import { extentOf } from '../report/extent.js';
import { redactReport } from '../engine/findings.js';
import { LeakguardError } from '../errors.js';
import { VERSION } from './version.js';

export type Format = 'text' | 'json' | 'sarif' | 'gitlab';

/** Formats that show where a secret ends: they need the scan's findings before redaction. */
export const needsSecretExtent = (format: Format) => format === 'sarif' || format === 'gitlab';

export interface RenderOptions {
  quiet: boolean;
  color: boolean;
  /** Redact here (a report scanned unredacted for its extents); never leaves a secret in the output. */
  redact?: boolean;
  headCommit?: string;
}

/** The rendered report; JSON and SARIF come in pieces (see `jsonChunks`), the others as one string. */
export function render(
  report: ScanReport,
  rules: CompiledRule[],
  format: Format,
  opts: RenderOptions,
): string | Iterable<string> {
  const extents = needsSecretExtent(format) ? report.findings.map(extentOf) : undefined;
  if (opts.redact && !report.redacted) {
    const known = (report as ScanReport & { knownSecrets?: Set<string> }).knownSecrets ?? [];
    report = { ...redactReport(report, known), redacted: true };
  }
  if (format === 'json') return jsonChunks(report, VERSION);
  if (format === 'sarif') return sarifChunks(report, rules, VERSION, extents);
  if (format === 'gitlab') return formatGitlab(report, rules, VERSION, { extents, headCommit: opts.headCommit });
  return formatText(report, opts);
}

/** Writes the report, piece by piece, to a file or to stdout (waiting for a slow reader to drain). */
export async function emit(text: string | Iterable<string>, output: string | undefined): Promise<void> {
  const pieces = typeof text === 'string' ? [text] : batched(text);
  if (!output) {
    if (text === '') return; // nothing to say: stdout is not even created
    // a reader that goes away (`| head`) ends the report, not the process with a stack trace
    let closed = false;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed = true;
      process.stdout.emit('drain');
    });
    for (const piece of pieces) {
      if (closed) break;
      if (!process.stdout.write(piece)) await new Promise((r) => process.stdout.once('drain', r));
    }
    return;
  }
  let fd: number | undefined;
  try {
    fd = openSync(output, 'w');
    for (const piece of pieces) writeSync(fd, piece);
  } catch (e) {
    throw new LeakguardError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Pieces joined into writes of about this many characters: a million one-finding writes cost seconds. */
const WRITE_CHARS = 64 * 1024;

function* batched(pieces: Iterable<string>): Generator<string> {
  let held: string[] = [];
  let chars = 0;
  for (const piece of pieces) {
    held.push(piece);
    chars += piece.length;
    if (chars >= WRITE_CHARS) {
      yield held.join('');
      held = [];
      chars = 0;
    }
  }
  if (held.length) yield held.join('');
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}
