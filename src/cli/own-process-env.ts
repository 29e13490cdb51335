/**
 * Set in the environment of the node process a large history scan runs in (see own-process.ts),
 * so that process knows it is one: it then scans with one lane on its main thread. A module of its
 * own, so the pre-commit bundle, which shares runScan, does not carry own-process.ts with it.
 */
export const SCAN_PROCESS_ENV = 'LEAKGUARD_SCAN_PROCESS';
