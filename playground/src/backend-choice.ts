import * as st from '../../src/index.js';

/**
 * The one place that picks the backend the playground computes on; the page and its training
 * worker both call it before they build a model. The WebAssembly backend (SIMD128; Vite ships
 * `stride.wasm` and `stride-threads.wasm` as assets) when it loads, else the reference TypeScript
 * backend. The wasm backend runs threaded (its default, up to 4 threads) only where the page is
 * cross-origin isolated, which gives it SharedArrayBuffer; elsewhere on one thread. Returns the
 * active backend's name with its thread count, e.g. `'wasm (2 threads)'`.
 */
export async function selectBackend(): Promise<string> {
  try {
    await st.initWasmBackend();
    st.setBackend('wasm');
  } catch (err) {
    console.warn(`[stride playground] wasm backend unavailable, using the reference backend: ${String(err)}`);
    st.setBackend('reference');
  }
  return describeBackend();
}

/** The active backend's name, with its thread count for wasm: `'wasm (1 thread)'`, `'reference'`. */
export function describeBackend(): string {
  const name = st.backend();
  if (name !== 'wasm') return name;
  const n = st.wasmThreads();
  return `wasm (${n} thread${n === 1 ? '' : 's'})`;
}
