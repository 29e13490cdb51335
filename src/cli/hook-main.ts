/**
 * The pre-commit hook's entry point (dist/hook.cjs). It runs the hooks' exact scan lines
 * (hookLineArgs) and nothing else, so a hook run loads a bundle without yargs and the other
 * commands; any other command line goes to the full CLI, which bin/leakguard.js then loads.
 */
import { hookLineArgs, reportError, runScan } from './scan-command.js';

export async function main(argv: string[], fullCli: (argv: string[]) => Promise<number>): Promise<number> {
  const fast = hookLineArgs(argv);
  if (!fast) return fullCli(argv);
  try {
    return await runScan(fast);
  } catch (e) {
    return reportError(e);
  }
}
