#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a clone works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Exit now: an idle keep-alive socket of an HTTP client must not hold a finished command open.
process.exit(code);
