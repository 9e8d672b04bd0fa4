import type { Backend } from '../../src/backend/backend.js';
import { loadNativeAddon } from '../../src/backend/native/load-addon.js';
import type { NativeAddon } from '../../src/backend/native/native-addon.js';
import { createNativeBackend } from '../../src/backend/native/native-backend.js';
import '../../src/backend/wasm/read-wasm-file-node.js';
import { instantiateWasmAddon } from '../../src/backend/wasm/load-wasm.js';
import { Rng } from '../../src/tensor/random.js';

const nativeAddon: NativeAddon | null = loadNativeAddon(true);

/**
 * The WebAssembly build of the same kernels (src/backend/wasm/stride.wasm, shipped prebuilt), seen
 * through the addon's interface: {@link forEachConfig} runs every kernel test on it too, after the
 * native configurations, so the 'wasm' backend passes the same checks against the reference.
 */
export const wasmAddon: NativeAddon = await instantiateWasmAddon();

/**
 * The threaded module (src/backend/wasm/stride-threads.wasm) with one helper thread (a
 * worker_thread on its shared memory): {@link forEachConfig} runs every kernel test on it last.
 */
export const wasmThreadedAddon: NativeAddon = await instantiateWasmAddon(undefined, 2);

/**
 * The addon, or null when it is not built (the native tests then skip). Its setConvAlgorithm
 * also switches the wasm module, so a suite that pins the algorithm pins it for both.
 */
export const addon: NativeAddon | null =
  nativeAddon &&
  (Object.create(nativeAddon, {
    setConvAlgorithm: {
      value: (name: 'auto' | 'gemm' | 'winograd') => {
        nativeAddon.setConvAlgorithm(name);
        wasmAddon.setConvAlgorithm(name);
        wasmThreadedAddon.setConvAlgorithm(name);
      },
    },
  }) as NativeAddon);

/** The backend forEachConfig is running `fn` on (null outside it: the native backend). */
let current: Backend | null = null;

/** Passed as `skip` to describe(): a reason when the addon is missing, false otherwise. */
export const skipWithoutAddon: string | false = addon
  ? false
  : "native addon not built: run 'npm run build:native' (needs python3, make, g++)";

/**
 * The backend under test: inside {@link forEachConfig} the one of the current configuration (the
 * native backend under each instruction set and thread count, then the wasm backend), elsewhere
 * the native one (throws if used without the addon; suites skip first).
 */
export function nativeBackend(): Backend {
  if (current) return current;
  if (!nativeAddon) throw new Error('native addon not built');
  return createNativeBackend(nativeAddon);
}

/** Instruction-set families this CPU can run, best first; each test runs under every one. */
export function supportedIsas(): ('avx512' | 'avx2' | 'scalar')[] {
  if (!addon) return [];
  const all = ['avx512', 'avx2', 'scalar'] as const;
  const detected = addon.getIsa().detected;
  return all.slice(all.indexOf(detected as (typeof all)[number]));
}

/**
 * Run `fn` once per instruction-set family and per thread count (1 and 2) of the native addon,
 * then once on each wasm module (single-threaded SIMD128, and threaded with 2 threads), with {@link nativeBackend} returning
 * that configuration's backend; restores the detected family and the pool size afterwards.
 */
export function forEachConfig(fn: (label: string) => void): void {
  if (!nativeAddon) return;
  const threads = nativeAddon.getNumThreads();
  try {
    current = createNativeBackend(nativeAddon);
    for (const isa of supportedIsas()) {
      nativeAddon.setIsa(isa);
      for (const t of [1, 2]) {
        nativeAddon.setNumThreads(t);
        fn(`${isa}, ${t} thread${t > 1 ? 's' : ''}`);
      }
    }
    nativeAddon.setIsa(nativeAddon.getIsa().detected);
    current = createNativeBackend(wasmAddon, 'wasm');
    fn('wasm simd128');
    current = createNativeBackend(wasmThreadedAddon, 'wasm');
    fn('wasm simd128, 2 threads');
  } finally {
    current = null;
    nativeAddon.setIsa(nativeAddon.getIsa().detected);
    nativeAddon.setNumThreads(threads);
  }
}

/** Uniform values in [-1, 1) from a seeded generator. */
export function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}
