import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('the package root of a module', () => {
  it('is the project folder for a module deep in src/', () => {
    expect(packageRoot(pathToFileURL(join(ROOT, 'src/cli/commands/demo.ts')).href)).toBe(ROOT);
  });

  it('is the project folder for a bundled chunk in dist/chunks/', () => {
    expect(packageRoot(pathToFileURL(join(ROOT, 'dist/chunks/chunk-ABC.js')).href)).toBe(ROOT);
  });
});
