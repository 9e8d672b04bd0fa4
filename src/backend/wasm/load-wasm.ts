import { ValueError } from '../../errors.js';
import { registerBackend } from '../registry.js';
import { referenceBackend } from '../reference/reference-backend.js';
import { createNativeBackend } from '../native/native-backend.js';
import type { Backend } from '../backend.js';
import type { NativeAddon } from '../native/native-addon.js';
import { createWasmAddon } from './wasm-addon.js';
import type { StrideWasmExports } from './wasm-exports.js';

/**
 * Where {@link initWasmBackend} gets the module: a URL (or its string), a fetch `Response`, the
 * file's bytes, or an already compiled `WebAssembly.Module`.
 */
export type WasmSource = URL | string | Response | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

/** Options of {@link initWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * The `stride.wasm` to load. Default: the file shipped next to this JavaScript module, read
   * from disk under Node and fetched in browsers (`new URL('./stride.wasm', import.meta.url)`).
   */
  source?: WasmSource;
}

/** The default location of the module: beside this file (src/ and dist/src/ both hold a copy). */
export const DEFAULT_WASM_URL = new URL('./stride.wasm', import.meta.url);

let readFile: ((url: URL) => Promise<Uint8Array>) | null = null;

/**
 * How `file:` URLs are read. The Node entry point sets this (browsers have no files to read);
 * not part of the public API.
 */
export function setWasmFileReader(read: (url: URL) => Promise<Uint8Array>): void {
  readFile = read;
}

/** `bytes` as WebAssembly.compile takes them: on an ArrayBuffer (a copy when it is shared memory). */
function compilable(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (ArrayBuffer.isView(source)) {
    return WebAssembly.compile(
      compilable(new Uint8Array(source.buffer, source.byteOffset, source.byteLength)),
    );
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok)
      throw new ValueError('initWasmBackend', `fetching the module failed: HTTP ${source.status}`);
    return WebAssembly.compile(await source.arrayBuffer());
  }
  const url = source instanceof URL ? source : new URL(String(source), DEFAULT_WASM_URL);
  if (url.protocol === 'file:') {
    if (!readFile) {
      throw new ValueError(
        'initWasmBackend',
        `cannot read ${url.href} here (no file system). Fix: pass { source } as an http(s) URL, the file's bytes or a WebAssembly.Module`,
      );
    }
    return WebAssembly.compile(compilable(await readFile(url)));
  }
  return compile(await fetch(url));
}

/**
 * Compile and instantiate the module from `source` and return its kernels behind the native
 * addon's interface (each call makes a new instance with its own memory). Internal: the public
 * way in is {@link initWasmBackend}; tests use this to check the module beside the native addon.
 */
export async function instantiateWasmAddon(source: WasmSource = DEFAULT_WASM_URL): Promise<NativeAddon> {
  const instance = await WebAssembly.instantiate(await compile(source), {});
  const ex = instance.exports as unknown as StrideWasmExports;
  ex._initialize();
  return createWasmAddon(ex);
}

let loading: Promise<Backend> | null = null;
let loaded: Backend | null = null;

/**
 * Load Stride's WebAssembly backend and register it as `'wasm'` (then `st.setBackend('wasm')`
 * makes it the active one; calling it again does nothing more). It runs the native backend's float32 kernels (GEMM, convolutions
 * forward and backward with Winograd, pooling, batch norm, element-wise ops, reductions,
 * activations, RoI Align/Pool) compiled to WebAssembly with SIMD128, single-threaded; float64
 * arrays and kernels the module lacks run on the reference backend. Needs a WebAssembly SIMD
 * engine (Node 16.4+, Chromium 91+, Firefox 89+). A failed load may be retried.
 *
 * @example
 * ```ts
 * await st.initWasmBackend();
 * st.setBackend('wasm');
 * ```
 */
export async function initWasmBackend(options: WasmBackendOptions = {}): Promise<void> {
  if (!loading) {
    loading = (async () => {
      const addon = await instantiateWasmAddon(options.source);
      // Everything the module's wrapper does not define (kernels added to Backend later, ...) is the reference kernel.
      const b: Backend = { ...referenceBackend, ...createNativeBackend(addon, 'wasm') };
      registerBackend(b);
      loaded = b;
      return b;
    })();
    loading.catch(() => (loading = null));
  }
  await loading;
}

/** Whether {@link initWasmBackend} has loaded the `'wasm'` backend. */
export function wasmAvailable(): boolean {
  return loaded !== null;
}
