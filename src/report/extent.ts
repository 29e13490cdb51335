/**
 * Where a content finding ends. Reports carry redacted secrets, so the extent is taken from the
 * secret before redaction and handed to the formats that show a region (SARIF, GitLab).
 */
import type { Finding } from '../types.js';

export interface Extent {
  endLine: number;
  endColumn: number;
}

/** SARIF-style end: the line of the last character, and the column just after it. */
export function extentOf(f: Pick<Finding, 'line' | 'column' | 'secret'>): Extent | undefined {
  if (f.line === undefined || f.column === undefined || f.secret === undefined) return undefined;
  const parts = f.secret.split('\n');
  const last = [...parts[parts.length - 1]!].length;
  return parts.length === 1
    ? { endLine: f.line, endColumn: f.column + last }
    : { endLine: f.line + parts.length - 1, endColumn: last + 1 };
}

/** Extents by position in the findings list (the list a report keeps, in its order). */
export type Extents = (Extent | undefined)[];
