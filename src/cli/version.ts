import { createRequire } from 'node:module';

declare const __LEAKGUARD_VERSION__: string | undefined;

/** leakguard's version: set by the build from package.json; read from package.json when run from source. */
export const VERSION: string =
  typeof __LEAKGUARD_VERSION__ === 'string'
    ? __LEAKGUARD_VERSION__
    : (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
