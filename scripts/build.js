/**
 * Compiles src/ to dist/ (run by `npm ci` and `npm install` as the `prepare` step, and by
 * `npm run build`; `--if-stale` builds only when a source changed since), so `recon` starts as
 * plain JavaScript instead of transpiling at each start.
 * Emits without type-checking (`npm run typecheck` does that): a type error never breaks an
 * install. The build goes to a folder of its own and replaces dist/ whole, so a process starting
 * meanwhile sees the old build, the new one, or none (and then runs the sources through tsx).
 * Without TypeScript (an install without devDependencies) it builds nothing and says so.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledIsCurrent, DIST, ROOT, STAMP } from '../bin/compiled.js';

// `--if-stale`: build only when dist/ is missing or older than a source (the test suite's setup).
if (process.argv.includes('--if-stale') && compiledIsCurrent()) process.exit(0);

const root = fileURLToPath(ROOT);
const dist = fileURLToPath(DIST).replace(/\/$/, '');

let tsc;
try {
  // The package's exports do not list its bin: find it beside package.json.
  tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  console.warn('recon build: TypeScript is not installed (devDependencies omitted); `recon` will run the sources through tsx.');
  process.exit(0);
}

const started = new Date();
const staging = `${dist}.building-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
const { status, error } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', staging], { cwd: root, stdio: 'inherit' });
if (status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  console.error(`recon build: tsc failed${error ? `: ${error.message}` : ` with exit code ${status}`}`);
  process.exit(1);
}
// Dated to the start: a source saved during the build makes it stale at once.
const stamp = join(staging, '.built');
closeSync(openSync(stamp, 'w'));
utimesSync(stamp, started, started);
// Renames only, so that two builds at once (two test runs) cannot delete each other's files.
const previous = `${dist}.old-${process.pid}`;
try {
  renameSync(dist, previous);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
try {
  renameSync(staging, dist);
} catch (error) {
  // Another build put its dist/ there first: as good as ours if it is current.
  rmSync(staging, { recursive: true, force: true });
  if (!compiledIsCurrent()) throw error;
}
rmSync(previous, { recursive: true, force: true });
if (!existsSync(fileURLToPath(STAMP))) throw new Error('recon build: dist/.built is missing after the build');
