/** Where the shipped models live, whether running from src/ (tsx) or dist/ (compiled). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The model shipped as the default (a folder of models/). */
export const DEFAULT_MODEL_NAME = 'mlp-v1';

/** The package root: the nearest ancestor of this file holding models/ and package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the veto package root (models/ not found)');
    dir = parent;
  }
}

export function defaultModelDir(): string {
  return join(packageRoot(), 'models', DEFAULT_MODEL_NAME);
}
