import * as st from '../../src/index.js';

/**
 * The one place that picks the backend the playground computes on; the page and its training
 * worker both call it before they build a model. The WebAssembly backend (SIMD128, one thread;
 * Vite ships `stride.wasm` as an asset) when it loads, else the reference TypeScript backend.
 * Returns the active backend's name.
 */
export async function selectBackend(): Promise<string> {
  try {
    await st.initWasmBackend();
    st.setBackend('wasm');
  } catch (err) {
    console.warn(`[stride playground] wasm backend unavailable, using the reference backend: ${String(err)}`);
    st.setBackend('reference');
  }
  return st.backend();
}
