/**
 * A full garbage collection on demand, for the places that make garbage by the million: a thread
 * that matched a dump of tokens, and turning a million findings into report objects. V8 lets the heap grow to about
 * twice what is live before it collects (1.0 GB resident for 450 MB live with a million
 * findings); collecting now and then keeps the process near what it holds. Ordinary scans, with
 * far fewer matches and findings, never call it.
 */
import { createRequire } from 'node:module';

let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      // node:v8 and node:vm load only here: most runs never collect, and a pre-commit run pays for every module it loads
      const require = createRequire(import.meta.url);
      const v8 = require('node:v8') as typeof import('node:v8');
      const vm = require('node:vm') as typeof import('node:vm');
      // the collector's entry point, asked for once; without it (a host that forbids flags) nothing happens
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
