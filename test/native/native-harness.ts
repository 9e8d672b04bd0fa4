import type { Backend } from '../../src/backend/backend.js';
import { loadNativeAddon } from '../../src/backend/native/load-addon.js';
import type { NativeAddon } from '../../src/backend/native/native-addon.js';
import { createNativeBackend } from '../../src/backend/native/native-backend.js';
import { Rng } from '../../src/tensor/random.js';

/** The addon, or null when it is not built (the native tests then skip). */
export const addon: NativeAddon | null = loadNativeAddon(true);

/** Passed as `skip` to describe(): a reason when the addon is missing, false otherwise. */
export const skipWithoutAddon: string | false = addon
  ? false
  : "native addon not built: run 'npm run build:native' (needs python3, make, g++)";

/** The native backend under test (throws if used without the addon; suites skip first). */
export function nativeBackend(): Backend {
  if (!addon) throw new Error('native addon not built');
  return createNativeBackend(addon);
}

/** Instruction-set families this CPU can run, best first; each test runs under every one. */
export function supportedIsas(): ('avx512' | 'avx2' | 'scalar')[] {
  if (!addon) return [];
  const all = ['avx512', 'avx2', 'scalar'] as const;
  const detected = addon.getIsa().detected;
  return all.slice(all.indexOf(detected as (typeof all)[number]));
}

/**
 * Run `fn` once per instruction-set family and per thread count (1 and 2), restoring the
 * detected family and the pool size afterwards.
 */
export function forEachConfig(fn: (label: string) => void): void {
  if (!addon) return;
  const threads = addon.getNumThreads();
  try {
    for (const isa of supportedIsas()) {
      addon.setIsa(isa);
      for (const t of [1, 2]) {
        addon.setNumThreads(t);
        fn(`${isa}, ${t} thread${t > 1 ? 's' : ''}`);
      }
    }
  } finally {
    addon.setIsa(addon.getIsa().detected);
    addon.setNumThreads(threads);
  }
}

/** Uniform values in [-1, 1) from a seeded generator. */
export function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}
