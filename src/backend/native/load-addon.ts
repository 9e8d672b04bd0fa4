import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native-addon.js';

/** Where node-gyp leaves the addon, relative to the package root. */
const ADDON_PATH = join('native', 'build', 'Release', 'stride_native.node');

/**
 * The one line printed when the addon is missing. The build command depends on where Stride sits:
 * in its own checkout `npm run build:native`; installed as a dependency (under `node_modules`),
 * `npm rebuild stride` from the depending project.
 */
export function missingAddonMessage(root: string | null): string {
  const installed = root !== null && root.split(/[\\/]/).includes('node_modules');
  const how = installed ? "'npm rebuild stride' in your project" : "'npm run build:native'";
  return (
    "stride: the native backend is not built, so Stride runs on the slower 'reference' backend. " +
    `Build it with ${how} (needs python3, make and g++).`
  );
}

let cached: NativeAddon | null | undefined;
let root: string | null = null;
let warned = false;

/** The package root: the nearest folder above this file that holds `native/binding.gyp`. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * Load the compiled addon once. Returns null when it is not built or fails to load; then prints
 * {@link missingAddonMessage} (once per process) unless `quiet` is set.
 */
export function loadNativeAddon(quiet = false): NativeAddon | null {
  if (cached === undefined) {
    cached = null;
    root = packageRoot();
    const file = root ? join(root, ADDON_PATH) : null;
    if (file && existsSync(file)) {
      try {
        cached = createRequire(import.meta.url)(file) as NativeAddon;
      } catch (e) {
        if (!quiet) {
          console.warn(`${missingAddonMessage(root)} (loading ${file} failed: ${(e as Error).message})`);
          warned = true;
        }
      }
    }
  }
  if (cached === null && !quiet && !warned) {
    console.warn(missingAddonMessage(root));
    warned = true;
  }
  return cached;
}
