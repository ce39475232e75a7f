/**
 * Where local state lives: `.data/` at the project root (git-ignored); used by the simulator's entry points too. Part
 * of tools/devstack/, the libraries that bring up the local stack for the entry points in tools/scripts/, the tests
 * and the benchmarks.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The folder holding package.json. */
export function projectRoot(start = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/** The local data folder: simulator keys, the dev server's sqlite file, logs. */
export const DATA_DIR = path.join(projectRoot(), '.data');
