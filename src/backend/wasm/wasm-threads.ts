import { ValueError } from '../../errors.js';
import type { StrideWasmExports, StrideWasmThreadExports } from './wasm-exports.js';

/** What a helper thread receives: the module, the shared memory and its own stack and TLS block. */
export interface HelperStart {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Top of the helper's stack (it grows down). */
  readonly stack: number;
  /** The helper's thread-local block. */
  readonly tls: number;
}

/** A started helper thread. */
export interface HelperThread {
  terminate(): void;
}

/**
 * How helper threads are started where the module runs: Web Workers in a cross-origin isolated
 * page (the default below), worker_threads under Node (set by the Node entry point,
 * wasm-threads-node.ts). Not part of the public API.
 */
export interface HelperHost {
  /** Hardware threads of this machine. */
  readonly hardwareThreads: number;
  /**
   * Start a thread running {@link HELPER_SOURCE}'s `strideHelper(start, reply)`; `ready` gets null once it
   * runs the pool's loop, or the reason it could not.
   */
  spawn(start: HelperStart, ready: (error: string | null) => void): HelperThread;
}

/**
 * The helper's JavaScript (one function, `strideHelper`), run as a worker's source: it instantiates
 * the module on the shared memory without running its constructors, points its stack and
 * thread-local variables at its own blocks, replies and enters the pool's loop for good. The few
 * WASI imports (stdio, reached only by abort messages) answer ENOSYS.
 */
export const HELPER_SOURCE = `
async function strideHelper(start, reply) {
  let ex;
  try {
    const nosys = () => 52;
    const instance = await WebAssembly.instantiate(start.module, {
      env: { memory: start.memory },
      wasi_snapshot_preview1: { fd_close: nosys, fd_seek: nosys, fd_write: nosys },
    });
    ex = instance.exports;
    ex.__stack_pointer.value = start.stack;
    ex.__wasm_init_tls(start.tls);
  } catch (e) {
    reply({ error: String((e && e.message) || e) });
    return;
  }
  reply({ error: null });
  ex.stride_worker_loop();
}
`;

// The import object's type as `instantiate` declares it: the repo's own WebAssembly declarations
// (src/backend/wasm/webassembly.d.ts) in the library build, the DOM lib's in the playground build.
type InstantiateImports = Parameters<typeof WebAssembly.instantiate>[1];

/** The imports of the threaded module besides its memory: stdio answers ENOSYS (52). */
export function threadedImports(memory: WebAssembly.Memory): InstantiateImports {
  const nosys = (): number => 52;
  return { env: { memory }, wasi_snapshot_preview1: { fd_close: nosys, fd_seek: nosys, fd_write: nosys } };
}

let nodeHost: HelperHost | null = null;

/** Set by the Node entry point: helpers are worker_threads there. */
export function setHelperHost(host: HelperHost): void {
  nodeHost = host;
}

interface BrowserScope {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string) => {
    postMessage(m: unknown): void;
    terminate(): void;
    onmessage: ((e: { data: { error: string | null } }) => void) | null;
    onerror: ((e: { message?: string }) => void) | null;
  };
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL?(blob: unknown): string };
}

/** Web Workers, in a page (or worker) that is cross-origin isolated, so memory can be shared. */
function browserHost(): HelperHost | null {
  const g = globalThis as unknown as BrowserScope;
  const { Worker, Blob } = g;
  if (g.crossOriginIsolated !== true || !Worker || !Blob || !g.URL.createObjectURL) return null;
  if (typeof SharedArrayBuffer === 'undefined') return null;
  const url = g.URL.createObjectURL(
    new Blob(
      [`${HELPER_SOURCE}\nself.onmessage = (e) => strideHelper(e.data, (r) => self.postMessage(r));\n`],
      {
        type: 'text/javascript',
      },
    ),
  );
  return {
    hardwareThreads: Math.max(1, g.navigator?.hardwareConcurrency ?? 1),
    spawn(start, ready) {
      const w = new Worker(url);
      w.onmessage = (e) => ready(e.data.error);
      w.onerror = (e) => ready(e.message ?? 'the worker failed to start');
      w.postMessage(start);
      return { terminate: () => w.terminate() };
    },
  };
}

/** Where helper threads can run here, or null (then the backend is single-threaded). */
export function helperHost(): HelperHost | null {
  return nodeHost ?? browserHost();
}

// Each helper's stack, as large as the calling thread's (the module is linked with 1 MiB).
const HELPER_STACK = 1 << 20;
// Pages of the shared memory: the module's initial size (linked with 16 MiB) up to 4 GiB.
const INITIAL_PAGES = 256;
const MAXIMUM_PAGES = 65536;

/** The threaded module running with its helpers. */
export interface ThreadedModule {
  /** The exports, with the shared memory under `memory` as the single-threaded module has it. */
  readonly exports: StrideWasmExports & StrideWasmThreadExports;
  /** Threads in use, the calling one included. */
  readonly threads: number;
  /** Stop the helpers. */
  terminate(): void;
}

/**
 * Instantiate the threaded module on a new shared memory and start `threads - 1` helpers on it
 * through `host`; resolves once every helper has entered the pool's loop.
 */
export async function startThreaded(
  module: WebAssembly.Module,
  threads: number,
  host: HelperHost,
): Promise<ThreadedModule> {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, threadedImports(memory));
  const raw = instance.exports as unknown as StrideWasmThreadExports;
  if (typeof raw.stride_worker_loop !== 'function') {
    throw new ValueError(
      'initWasmBackend',
      'the threaded module lacks stride_worker_loop: expected stride-threads.wasm as built by scripts/build-wasm.mjs',
    );
  }
  raw._initialize();
  const ex = { ...raw, memory };
  const helpers: HelperThread[] = [];
  const terminate = (): void => helpers.forEach((h) => h.terminate());
  try {
    const tlsSize = Math.max(raw.__tls_size.value, 16);
    const tlsAlign = Math.max(raw.__tls_align.value, 16);
    const started: Promise<void>[] = [];
    for (let i = 1; i < threads; i++) {
      const stack = ex.stride_alloc(HELPER_STACK);
      const tlsBlock = ex.stride_alloc(tlsSize + tlsAlign);
      if (!stack || !tlsBlock) {
        throw new ValueError(
          'initWasmBackend',
          `could not allocate the stacks of ${threads - 1} helper threads`,
        );
      }
      const tls = Math.ceil(tlsBlock / tlsAlign) * tlsAlign;
      started.push(
        new Promise<void>((done, fail) => {
          helpers.push(
            host.spawn({ module, memory, stack: stack + HELPER_STACK, tls }, (error) =>
              error === null
                ? done()
                : fail(new ValueError('initWasmBackend', `a helper thread failed to start: ${error}`)),
            ),
          );
        }),
      );
    }
    await Promise.all(started);
    // Each helper replied just before entering the loop; wait until all have entered it.
    const deadline = Date.now() + 10_000;
    while (raw.stride_helpers() < threads - 1) {
      if (Date.now() > deadline) {
        throw new ValueError(
          'initWasmBackend',
          `only ${raw.stride_helpers()} of ${threads - 1} helper threads started`,
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    raw.stride_set_threads(threads);
  } catch (e) {
    terminate();
    throw e;
  }
  return { exports: ex, threads, terminate };
}
