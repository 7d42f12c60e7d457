/**
 * Bundles the CLI from src/ into dist/ (run by `npm ci` and `npm install` as the `prepare` step,
 * and by `npm run build`; `--if-stale` builds only when a source changed since), so `recon` starts
 * as a few files of plain JavaScript instead of transpiling hundreds of modules at each start.
 * Each command stays a chunk of its own, loaded when it runs. Recon's code is bundled with the
 * pure-JavaScript packages every command loads (commander, zod, Kysely and its PGlite dialect,
 * hundreds of small modules between them); every other package stays in node_modules, loaded
 * as it is (drivers with WebAssembly or native code, the vendors' SDKs). No type-checking here:
 * `npm run typecheck` does that, and a type error never breaks an install. The build goes to a
 * folder of its own and replaces dist/ by renames, so a process starting meanwhile sees the old
 * build, the new one, or none (and then runs the sources through tsx). Without esbuild (an
 * install without devDependencies) it builds nothing and says so.
 */
import { existsSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledIsCurrent, DIST, ROOT, STAMP } from '../bin/compiled.js';

// `--if-stale`: build only when dist/ is missing or older than a source (the test suite's setup).
if (process.argv.includes('--if-stale') && compiledIsCurrent()) process.exit(0);

/** Bundled into dist/: what the CLI loads on every command, as hundreds of small modules. */
const BUNDLED = new Set(['commander', 'zod', 'kysely', 'kysely-pglite-dialect']);

const root = fileURLToPath(ROOT);
const dist = fileURLToPath(DIST).replace(/\/$/, '');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('recon build: esbuild is not installed (devDependencies omitted); `recon` will run the sources through tsx.');
  process.exit(0);
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const started = new Date();
const staging = `${dist}.building-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
try {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: staging,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external,
    // commander is CommonJS: its require() calls need a require in an ES module.
    banner: { js: "import { createRequire as __reconCreateRequire } from 'node:module'; const require = __reconCreateRequire(import.meta.url);" },
    // `node --enable-source-maps bin/recon.js ...` maps a stack trace back to src/.
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  console.error(`recon build: esbuild failed: ${error.message}`);
  process.exit(1);
}
// Dated to the start: a source saved during the build makes it stale at once.
const stamp = join(staging, '.built');
writeFileSync(stamp, '');
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
