/**
 * Dynamic batching, as inference servers do it: requests for one model that arrive within a short
 * window run as one forward pass on their concatenated samples, and each gets back its own rows.
 * One batch runs at a time per model; requests that arrive meanwhile wait in a bounded queue and
 * form the next batch as soon as it finishes.
 */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Tensor as TensorClass } from '../tensor/tensor.js';
import { HttpError } from './http-error.js';

/**
 * How a {@link DynamicBatcher} sizes, joins and splits what it queues: tensors by their rows (the
 * default, {@link TENSOR_ROWS}), or whole requests one at a time ({@link oneAtATime}).
 */
export interface BatchShape<In, Out> {
  /** Samples in one request. */
  samples(x: In): number;
  /** One batch of the queued requests `xs`, in order. */
  join(xs: readonly In[]): In;
  /**
   * Whether `join` of two or more requests returns a new value that nothing else holds, which
   * `run` may then consume (move a tensor's storage to a worker thread instead of copying it).
   */
  readonly joinsIntoNew?: boolean;
  /** Samples `[from, to)` of a batch's answer. */
  split(out: Out, from: number, to: number): Out;
}

/** Options of {@link DynamicBatcher}. */
export interface BatcherOptions<In = Tensor, Out = Tensor> {
  /** Most samples in one forward pass (1 turns batching off). A larger request runs alone. */
  maxBatch: number;
  /** How long the first waiting request waits for others to join its batch, in ms. */
  delayMs: number;
  /** Most requests waiting (not counting the running batch); more are refused with 503. */
  queueLimit: number;
  /** A request not answered within this many ms gets 504 (0: no limit). */
  timeoutMs: number;
  /**
   * Run the model on a batch (off the event loop, e.g. `model.forwardAsync`). `owned` is true when
   * `x` was made by joining requests for this call alone (see {@link BatchShape.joinsIntoNew}), so
   * run may consume it (`forwardAsync(x, { transfer: true })`).
   */
  run(x: In, owned: boolean): Promise<Out>;
  /** Called after each batch with its sample count and duration in seconds. */
  onBatch?(samples: number, seconds: number): void;
  /** Called whenever the number of waiting requests changes. */
  onQueueDepth?(depth: number): void;
}

interface Item<In, Out> {
  x: In;
  enqueuedAt: number;
  settled: boolean;
  resolve(t: Out): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | null;
}

/** Rows `[from, to)` of `t` along the first axis, as a new tensor. */
function rows(t: Tensor, from: number, to: number): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return new TensorClass(t.data.slice(from * per, to * per), [to - from, ...t.shape.slice(1)]);
}

/** `tensors` (same per-sample shape) stacked along the first axis. */
function concatRows(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 1) return tensors[0]!;
  const n = tensors.reduce((a, t) => a + t.shape[0]!, 0);
  const out = new Float32Array(tensors.reduce((a, t) => a + t.data.length, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return new TensorClass(out, [n, ...tensors[0]!.shape.slice(1)]);
}

/** Tensors batched along their first axis (rows). */
export const TENSOR_ROWS: BatchShape<Tensor, Tensor> = {
  samples: (x) => x.shape[0]!,
  join: concatRows,
  joinsIntoNew: true,
  split: rows,
};

/**
 * Requests that cannot be joined (an encoded image for a detector): each counts as one sample and
 * runs alone, so the batcher is used with `maxBatch: 1` for its bounded queue, 503s and timeouts.
 */
export function oneAtATime<In, Out>(): BatchShape<In, Out> {
  return {
    samples: () => 1,
    join: (xs) => {
      if (xs.length !== 1)
        throw new ValueError(
          'DynamicBatcher',
          `a oneAtATime batch holds one request, got ${xs.length}. Fix: set maxBatch: 1`,
        );
      return xs[0]!;
    },
    split: (out) => out,
  };
}

/**
 * A per-model queue that runs requests in dynamic batches. See {@link BatcherOptions}; `shape`
 * says how requests are sized, joined and split (tensor rows unless given).
 */
export class DynamicBatcher<In = Tensor, Out = Tensor> {
  readonly #o: BatcherOptions<In, Out>;
  readonly #shape: BatchShape<In, Out>;
  readonly #queue: Item<In, Out>[] = [];
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;

  /** Tensor requests, batched by rows. */
  constructor(opts: BatcherOptions);
  /** Requests sized, joined and split by `shape`. */
  constructor(opts: BatcherOptions<In, Out>, shape: BatchShape<In, Out>);
  constructor(
    opts: BatcherOptions<In, Out>,
    shape: BatchShape<In, Out> = TENSOR_ROWS as unknown as BatchShape<In, Out>,
  ) {
    this.#o = opts;
    this.#shape = shape;
  }

  /** Requests waiting for a batch. */
  get depth(): number {
    return this.#queue.length;
  }

  /** Whether a batch is running. */
  get busy(): boolean {
    return this.#running;
  }

  /**
   * Queue `x` (shape `[n, ...]`) and resolve with its `n` output rows. Rejects with an HttpError
   * 503 (with `Retry-After`) when the queue is full, 504 on timeout.
   */
  submit(x: In): Promise<Out> {
    if (this.#queue.length >= this.#o.queueLimit) {
      return Promise.reject(
        new HttpError(
          503,
          `the server is busy: ${this.#queue.length} requests are waiting for this model; retry later`,
          {
            'retry-after': '1',
          },
        ),
      );
    }
    return new Promise<Out>((resolve, reject) => {
      const item: Item<In, Out> = {
        x,
        enqueuedAt: performance.now(),
        settled: false,
        resolve,
        reject,
        timer: null,
      };
      if (this.#o.timeoutMs > 0) {
        item.timer = setTimeout(() => {
          const i = this.#queue.indexOf(item);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            this.#o.onQueueDepth?.(this.#queue.length);
          }
          this.#settle(
            item,
            new HttpError(504, `the request was not answered within ${this.#o.timeoutMs} ms`),
          );
        }, this.#o.timeoutMs);
      }
      this.#queue.push(item);
      this.#o.onQueueDepth?.(this.#queue.length);
      this.#pump(true);
    });
  }

  #settle(item: Item<In, Out>, result: Out | Error): void {
    if (item.settled) return;
    item.settled = true;
    if (item.timer) clearTimeout(item.timer);
    if (result instanceof Error) item.reject(result);
    else item.resolve(result);
  }

  /**
   * Run the next batch if the model is idle. `arrived`: called for a request that has just been
   * queued. With no delay, such a request still waits for the end of the event loop's turn
   * (`setImmediate`), so that the requests read from other connections in the same turn join its
   * batch: without it, a model that runs on the main thread would start on the first request at
   * once and never see a batch of more than one. Requests that waited for a running batch go at
   * once when it ends.
   */
  #pump(arrived = false): void {
    if (this.#running || this.#queue.length === 0) return;
    const size = this.#shape.samples;
    const samples = this.#queue.reduce((a, it) => a + size(it.x), 0);
    const waited = performance.now() - this.#queue[0]!.enqueuedAt;
    if (samples < this.#o.maxBatch && waited < this.#o.delayMs) {
      this.#timer ??= setTimeout(
        () => {
          this.#timer = null;
          this.#pump();
        },
        Math.max(0, this.#o.delayMs - waited),
      );
      return;
    }
    if (arrived && samples < this.#o.maxBatch) {
      this.#immediate ??= setImmediate(() => {
        this.#immediate = null;
        this.#pump();
      });
      return;
    }
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#immediate) {
      clearImmediate(this.#immediate);
      this.#immediate = null;
    }
    const batch: Item<In, Out>[] = [this.#queue.shift()!];
    let n = size(batch[0]!.x);
    while (this.#queue.length > 0 && n + size(this.#queue[0]!.x) <= this.#o.maxBatch) {
      const it = this.#queue.shift()!;
      n += size(it.x);
      batch.push(it);
    }
    this.#o.onQueueDepth?.(this.#queue.length);
    this.#running = true;
    void this.#runBatch(batch, n);
  }

  async #runBatch(batch: Item<In, Out>[], n: number): Promise<void> {
    const t0 = performance.now();
    try {
      const owned = batch.length > 1 && this.#shape.joinsIntoNew === true;
      const out = await this.#o.run(this.#shape.join(batch.map((it) => it.x)), owned);
      this.#o.onBatch?.(n, (performance.now() - t0) / 1000);
      let at = 0;
      for (const it of batch) {
        const k = this.#shape.samples(it.x);
        this.#settle(it, batch.length === 1 ? out : this.#shape.split(out, at, at + k));
        at += k;
      }
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, 'the model failed on this input');
      for (const it of batch) this.#settle(it, err);
    } finally {
      this.#running = false;
      this.#pump();
    }
  }
}
