import { Buffer } from 'node:buffer';
import { Worker } from 'node:worker_threads';
import { backend } from '../backend/registry.js';
import { StrideError, ValueError } from '../errors.js';
import { layerToSpec, serializerOf, type LayerSpec } from '../io/layer-registry.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { moduleTree } from './module-tree.js';
import { startWorkerThread, WORKER_IMPORT_ENV } from './start-worker-node.js';
import { reviveError } from './transferred-error.js';
import { WorkerExitError } from './worker-exit-error.js';
import type { ForwardMessage, FromWorker, StateUpdate, ToWorker } from './worker-messages.js';

/** Backends the worker thread has: the built-in ones (others exist on the main thread only). */
const WORKER_BACKENDS = ['native', 'reference'];

interface Pending {
  resolve(t: Tensor): void;
  reject(e: Error): void;
}

/** Errors the worker raised (revived on this thread), whose stack lacks the caller's frames. */
const fromWorker = new WeakSet<Error>();

/**
 * Whether `err` was raised in the worker thread: its stack is the worker's, and the caller's
 * frames are added where forwardAsync's promise is awaited (capturing them at every call cost
 * more than a small model's whole round trip).
 */
export function raisedInWorker(err: unknown): err is Error {
  return err instanceof Error && fromWorker.has(err);
}

type FloatArray = Float32Array | Float64Array;

/**
 * The model's state-dict entries (parameters and persistent buffers) as the worker numbers them:
 * dotted names with the live storage. A module used twice (tied weights) is listed under both
 * names, as the worker's rebuilt model holds two copies.
 */
function stateOf(model: Module): [string, Tensor][] {
  // stateDict() gives detached views; the live parameter or buffer (whose version moves) shares its storage.
  const live = new Map<FloatArray, Tensor>();
  for (const t of [...model.parameters(), ...model.buffers()]) live.set(t.data, t);
  return Object.entries(model.stateDict()).map(([name, t]) => [name, live.get(t.data) ?? t]);
}

function sameBytes(a: FloatArray, b: FloatArray): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The first layer (in `namedModules` order) that has no saved form, with its dotted path. */
function firstUnsavable(model: Module): [string, Module] | undefined {
  return model.namedModules().find(([, m]) => serializerOf(m) === undefined);
}

/** The serialized architecture of `model`, or a ValueError saying why forwardAsync cannot rebuild it. */
function specOf(model: Module): LayerSpec {
  try {
    return layerToSpec(model);
  } catch (err) {
    const [path, layer] = firstUnsavable(model) ?? ['', model];
    throw new ValueError(
      'forwardAsync',
      `${model.constructor.name} cannot run in a worker thread: forwardAsync rebuilds the model there from its ` +
        `architecture, and layer '${path || '(root)'}' is a ${layer.constructor.name}, which has no saved form ` +
        `(${err instanceof Error ? err.message.split('. Fix:')[0] : String(err)}). Fix: build the model from Stride ` +
        'layers in a Sequential or Graph (every zoo model but GoogLeNet is), or call model.forward(x), which runs ' +
        'on the calling thread',
    );
  }
}

/** Start the worker: the compiled entry next to this file, or the TypeScript one under tsx. */
function startWorker(): Worker {
  return startWorkerThread(import.meta.url, 'forward-worker-node');
}

/**
 * The worker thread that runs `model.forwardAsync(x)` for one model, and what the main thread
 * knows about the worker's copy of the model.
 *
 * The worker rebuilds the model from its architecture (`layerToSpec`) and holds its own copy of
 * the parameters and buffers. Each request sends only the tensors that changed since they were
 * last sent: a parameter when its {@link Tensor.version} moved (optimizer steps, `loadStateDict`,
 * the `nn.init` functions, `fuseForInference` and `markChanged` bump it); a buffer (batch-norm
 * running statistics, small, updated in place by training-mode passes) when its bytes differ from
 * a copy of those last sent. So training between calls is seen by the next call, and a model that
 * does not change costs one integer comparison per parameter per call, not a pass over its weights. Requests run one at a time in the order made. The
 * worker is unref'd while idle, so it never keeps the process alive.
 */
export class ForwardWorkerClient {
  readonly #model: Module;
  readonly #worker: Worker;
  /** The architecture the worker was built from, as JSON, to notice a changed model. */
  readonly #specJson: string;
  /** The live tensors the worker mirrors, in the order it numbers them. */
  readonly #state: Tensor[];
  /** The storage of each of them when the worker was built (replaced storage means a new worker). */
  readonly #storage: FloatArray[];
  /** The version of each of them when its values were last sent. */
  readonly #sentVersion: number[];
  /** Buffers only (null for parameters): the values last sent. */
  readonly #sentBuffer: (FloatArray | null)[];
  readonly #pending = new Map<number, Pending>();
  /** Every tensor's values, sent with the first request (the worker starts from fresh weights). */
  #initial: StateUpdate[] | null;
  #nextId = 0;
  #dead: Error | null = null;
  /** `worker.terminate()`, called once: a second call after the exit would never settle. */
  #terminated: Promise<number> | null = null;
  #retiring = false;

  private constructor(model: Module, spec: LayerSpec, specJson: string) {
    this.#model = model;
    this.#specJson = specJson;
    const state = stateOf(model);
    this.#state = state.map(([, t]) => t);
    this.#storage = state.map(([, t]) => t.data);
    this.#sentVersion = state.map(([, t]) => t.version);
    const params = new Set<Tensor>(model.parameters());
    this.#sentBuffer = state.map(([, t]) => (params.has(t) ? null : t.data.slice()));
    this.#worker = startWorker();
    this.#worker.unref();
    this.#worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on('error', (err: Error) =>
      this.#fail(
        new WorkerExitError(
          'forwardAsync',
          `the worker thread died of an uncaught error: ${err.message}`,
          null,
        ),
      ),
    );
    this.#worker.on('exit', (code: number) => {
      if (!this.#dead)
        this.#fail(
          new WorkerExitError('forwardAsync', `the worker thread exited unexpectedly (code ${code})`, code),
        );
    });
    this.#initial = this.#storage.map((data, index) => ({ index, data: data.slice() }));
    this.#post({ kind: 'init', spec, stateNames: state.map(([n]) => n) });
  }

  /** A client for `model`; throws a ValueError when the model cannot be rebuilt in a worker. */
  static create(model: Module): ForwardWorkerClient {
    const spec = specOf(model);
    return new ForwardWorkerClient(model, spec, JSON.stringify(spec));
  }

  /** Whether this client can serve `model` as it is now (same architecture, same tensors, alive). */
  fits(model: Module): boolean {
    if (this.#dead || this.#retiring) return false;
    const state = stateOf(model);
    if (
      state.length !== this.#state.length ||
      state.some(([, t], i) => t !== this.#state[i] || t.data !== this.#storage[i])
    )
      return false;
    try {
      return JSON.stringify(layerToSpec(model)) === this.#specJson;
    } catch {
      return false;
    }
  }

  /**
   * Run `model.forward(x)` in the worker; see `Module.forwardAsync`. With `transfer`, x's storage
   * moves to the worker instead of being copied, when x owns the whole buffer and shares it with no
   * parameter or buffer of the model (else it is copied as without).
   */
  forward(x: Tensor, transfer = false): Promise<Tensor> {
    if (this.#dead) return Promise.reject(this.#dead);
    const name = backend();
    if (!WORKER_BACKENDS.includes(name)) {
      return Promise.reject(
        new ValueError(
          'forwardAsync',
          `the active backend '${name}' exists on the main thread only; the worker thread has ${WORKER_BACKENDS.join(' and ')}. ` +
            "Fix: st.setBackend('native') (or 'reference') before forwardAsync, or call model.forward(x)",
        ),
      );
    }
    const id = this.#nextId++;
    const updates = this.#initial ?? this.#changes();
    this.#initial = null;
    const input = transfer && this.#owns(x.data) ? x.data : x.data.slice();
    const msg: ForwardMessage = {
      kind: 'forward',
      id,
      input: { data: input, shape: [...x.shape] },
      updates,
      modes: moduleTree(this.#model).map((m) => m.training),
      backend: name,
    };
    const result = new Promise<Tensor>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (this.#pending.size === 1) this.#worker.ref();
    this.#post(msg, [input.buffer as ArrayBuffer, ...updates.map((u) => u.data.buffer as ArrayBuffer)]);
    return result;
  }

  /**
   * Whether `data` can be moved to the worker: a plain (not shared) buffer that it spans whole and
   * that holds no parameter or buffer of the model (moving it would empty them).
   */
  #owns(data: FloatArray): boolean {
    const buffer = data.buffer;
    if (!(buffer instanceof ArrayBuffer) || data.byteOffset !== 0 || data.byteLength !== buffer.byteLength)
      return false;
    return !this.#storage.some((s) => s.buffer === buffer);
  }

  /** The tensors changed since their values were last sent, with copies of the new values. */
  #changes(): StateUpdate[] {
    const out: StateUpdate[] = [];
    this.#state.forEach((live, index) => {
      const buffer = this.#sentBuffer[index];
      if (live.version === this.#sentVersion[index] && (!buffer || sameBytes(live.data, buffer))) return;
      this.#sentVersion[index] = live.version;
      buffer?.set(live.data);
      out.push({ index, data: live.data.slice() });
    });
    return out;
  }

  #post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(msg, transfer);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.kind) {
      case 'init-failed': {
        const cause = reviveError(msg.error, '');
        this.#fail(
          new ValueError(
            'forwardAsync',
            `the worker thread could not rebuild ${this.#model.constructor.name} from its architecture: ${cause.message}. ` +
              'Layers registered with st.registerLayer on the main thread are unknown to the worker. ' +
              `Fix: register them in a module named by the ${WORKER_IMPORT_ENV} environment variable (worker threads import it first), ` +
              'build the model from Stride layers, or call model.forward(x), which runs on the calling thread',
          ),
        );
        return;
      }
      case 'result': {
        const p = this.#settle(msg.id);
        // Buffers the pass updated in the worker (batch-norm running statistics in training mode).
        for (const b of msg.buffers) {
          const t = this.#state[b.index]!;
          t.data.set(b.data);
          this.#sentBuffer[b.index]?.set(b.data);
          this.#sentVersion[b.index] = t.markChanged().version;
        }
        p?.resolve(new Tensor(msg.output.data, msg.output.shape));
        return;
      }
      case 'error': {
        const p = this.#settle(msg.id);
        const err = reviveError(msg.error, '');
        err.stack = err.stack?.trimEnd();
        fromWorker.add(err);
        p?.reject(err);
        return;
      }
    }
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) {
      this.#worker.unref();
      if (this.#retiring) void this.close();
    }
    return p;
  }

  /** Reject every pending request with `err`, stop the worker and refuse further requests. */
  #fail(err: Error): void {
    if (this.#dead) return;
    this.#dead = err;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
    void this.#terminate();
  }

  #terminate(): Promise<number> {
    this.#terminated ??= this.#worker.terminate();
    return this.#terminated;
  }

  /**
   * Let the queued requests finish, then stop the worker (used when the model changed and a new
   * worker takes over).
   */
  retire(): void {
    this.#retiring = true;
    if (this.#pending.size === 0) void this.close();
  }

  /** Stop the worker; requests still queued reject with a StrideError. Resolves once it has exited. */
  async close(): Promise<void> {
    if (!this.#dead) {
      this.#fail(
        new StrideError(
          'forwardAsync',
          'the worker thread was closed (model.closeWorker()) before this forward pass ran; call forwardAsync again to start a new one',
        ),
      );
    }
    await this.#terminate();
  }
}
