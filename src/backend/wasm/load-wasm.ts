import { ValueError } from '../../errors.js';
import { registerBackend } from '../registry.js';
import { referenceBackend } from '../reference/reference-backend.js';
import { createNativeBackend } from '../native/native-backend.js';
import type { Backend } from '../backend.js';
import type { NativeAddon } from '../native/native-addon.js';
import { createWasmAddon } from './wasm-addon.js';
import type { StrideWasmExports } from './wasm-exports.js';
import { helperHost, startThreaded } from './wasm-threads.js';

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
  /**
   * Threads the kernels use, the calling one included (1 to 256). Default: min(hardware threads,
   * 4) where threads can run, else 1. Helper threads are worker_threads under Node and Web Workers
   * in a page that is cross-origin isolated (`crossOriginIsolated`: served with
   * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`),
   * which share the module's memory. Elsewhere (no SharedArrayBuffer) the backend runs on one
   * thread whatever this says; {@link wasmThreads} tells what was granted.
   */
  threads?: number;
  /**
   * The threaded module (`stride-threads.wasm`), used when more than one thread runs; the same
   * kinds of source as `source`. Default: the file shipped beside this JavaScript module.
   */
  threadsSource?: WasmSource;
}

/** The default location of the module: beside this file (src/ and dist/src/ both hold a copy). */
export const DEFAULT_WASM_URL = new URL('./stride.wasm', import.meta.url);

/** The default location of the threaded module, beside this file too. */
export const DEFAULT_WASM_THREADS_URL = new URL('./stride-threads.wasm', import.meta.url);

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

/** The thread count `requested` resolves to here (1 where helper threads cannot run). */
function resolveThreads(requested: number | undefined): number {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > 256)) {
    throw new ValueError(
      'initWasmBackend',
      `expected threads to be an integer from 1 to 256, got ${requested}`,
    );
  }
  const host = helperHost();
  if (!host) return 1;
  return requested ?? Math.min(host.hardwareThreads, 4);
}

/**
 * Compile and instantiate the module and return its kernels behind the native addon's interface
 * (each call makes a new instance with its own memory). With `threads` above 1 (and helper threads
 * available here, see {@link WasmBackendOptions.threads}) it runs the threaded module from
 * `threadsSource` with `threads - 1` helpers, else the single-threaded one from `source`; the
 * addon's getNumThreads tells which. Internal: the public way in is {@link initWasmBackend};
 * tests use this to check the modules beside the native addon.
 */
export async function instantiateWasmAddon(
  source: WasmSource = DEFAULT_WASM_URL,
  threads = 1,
  threadsSource: WasmSource = DEFAULT_WASM_THREADS_URL,
): Promise<NativeAddon> {
  const host = threads > 1 ? helperHost() : null;
  if (host) {
    const threaded = await startThreaded(await compile(threadsSource), threads, host);
    return createWasmAddon(threaded.exports);
  }
  const instance = await WebAssembly.instantiate(await compile(source), {});
  const ex = instance.exports as unknown as StrideWasmExports;
  ex._initialize();
  return createWasmAddon(ex);
}

let loading: Promise<Backend> | null = null;
let loaded: Backend | null = null;
let loadedThreads = 0;
let requestedThreads: number | undefined;

/**
 * Load Stride's WebAssembly backend and register it as `'wasm'` (then `st.setBackend('wasm')`
 * makes it the active one). It runs the native backend's float32 kernels (GEMM, convolutions
 * forward and backward with Winograd, pooling, batch norm, element-wise ops, reductions,
 * activations, RoI Align/Pool) compiled to WebAssembly with SIMD128, on `threads` threads where
 * memory can be shared (Node; a cross-origin isolated page) and on one elsewhere; float64 arrays
 * and kernels the module lacks run on the reference backend. Needs a WebAssembly SIMD engine
 * (Node 16.4+, Chromium 91+, Firefox 89+). Calling it again does nothing more (asking for another
 * thread count then is an error); a failed load may be retried.
 *
 * @example
 * ```ts
 * await st.initWasmBackend({ threads: 2 });
 * st.setBackend('wasm');
 * ```
 */
export async function initWasmBackend(options: WasmBackendOptions = {}): Promise<void> {
  const threads = resolveThreads(options.threads);
  if (loading && options.threads !== undefined && options.threads !== requestedThreads) {
    throw new ValueError(
      'initWasmBackend',
      `the wasm backend is already loaded${requestedThreads === undefined ? '' : ` with threads: ${requestedThreads}`}, so threads: ${options.threads} cannot apply. ` +
        'Fix: pass the thread count on the first call',
    );
  }
  if (!loading) {
    requestedThreads = options.threads;
    loading = (async () => {
      const addon = await instantiateWasmAddon(options.source, threads, options.threadsSource);
      // Everything the module's wrapper does not define (kernels added to Backend later, ...) is the reference kernel.
      const b: Backend = { ...referenceBackend, ...createNativeBackend(addon, 'wasm') };
      registerBackend(b);
      loaded = b;
      loadedThreads = addon.getNumThreads();
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

/** Threads the loaded `'wasm'` backend runs on, the calling one included (0 before it is loaded). */
export function wasmThreads(): number {
  return loaded ? loadedThreads : 0;
}
