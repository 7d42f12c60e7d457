// `node --import ./test/support/record-imports.mjs`: appends the URL of every module the process
// imports through ESM to the file named by RECON_TEST_IMPORTS_FILE, one a line.
import { register } from 'node:module';

register(new URL('./record-imports-hooks.mjs', import.meta.url));
