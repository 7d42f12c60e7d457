/**
 * Whether dist/ (the JavaScript `npm run build` bundles from src/) is current: it exists and no
 * file under src/ changed after the build started. A build writes dist/.built last and dates it
 * to its own start, so a comparison of modification times is the whole check: one stat per
 * source file, a few milliseconds, no hashing.
 */
import { readdirSync, statSync } from 'node:fs';

export const ROOT = new URL('../', import.meta.url);
export const SOURCES = new URL('src/', ROOT);
export const DIST = new URL('dist/', ROOT);
/** Written last by a build, dated to the build's start. */
export const STAMP = new URL('.built', DIST);

/** True when dist/ holds a finished build of the sources as they are now. */
export function compiledIsCurrent() {
  let builtAt;
  try {
    builtAt = statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  return newestSourceChange() <= builtAt;
}

/** The latest modification time under src/ (a file's, or a folder's, which changes when a file is added or removed). */
export function newestSourceChange() {
  let newest = statSync(SOURCES).mtimeMs;
  for (const entry of readdirSync(SOURCES, { recursive: true })) {
    const changed = statSync(new URL(entry, SOURCES)).mtimeMs;
    if (changed > newest) newest = changed;
  }
  return newest;
}
