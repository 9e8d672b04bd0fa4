import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A tensor stored in a fixture file: shape plus flat row-major values. */
export interface FixtureTensor {
  shape: number[];
  data: number[];
}

/** Read `test/fixtures/<name>.json` (written by a script under scripts/fixtures/). */
export function loadFixture<T>(name: string): T {
  const p = fileURLToPath(new URL(`../fixtures/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}
