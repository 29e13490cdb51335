#!/usr/bin/env node
// The leakguard command. The CLI is bundled into one file by `npm run build` so start-up stays lean.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
