/** Where tests find the repository and the real-world models kept in it (testdata/models; nothing outside the checkout). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export const TEST_MODELS = path.resolve(repoRoot(), 'testdata/models');
