import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the nearest package.json above a module (`import.meta.url`): the project's root
 * whether the module runs from its source file or from a bundle in another folder, so files that
 * ship beside the code (migrations/, examples/) are found either way.
 */
export function packageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`there is no package.json in ${start} or any folder above it`);
  }
}
