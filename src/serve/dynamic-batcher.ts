/**
 * Dynamic batching, as inference servers do it: requests for one model that arrive within a short
 * window run as one forward pass on their concatenated samples, and each gets back its own rows.
 * One batch runs at a time per model; requests that arrive meanwhile wait in a bounded queue and
 * form the next batch as soon as it finishes.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Tensor as TensorClass } from '../tensor/tensor.js';
import { HttpError } from './http-error.js';

/** Options of {@link DynamicBatcher}. */
export interface BatcherOptions {
  /** Most samples in one forward pass (1 turns batching off). A larger request runs alone. */
  maxBatch: number;
  /** How long the first waiting request waits for others to join its batch, in ms. */
  delayMs: number;
  /** Most requests waiting (not counting the running batch); more are refused with 503. */
  queueLimit: number;
  /** A request not answered within this many ms gets 504 (0: no limit). */
  timeoutMs: number;
  /** Run the model on a batch (off the event loop, e.g. `model.forwardAsync`). */
  run(x: Tensor): Promise<Tensor>;
  /** Called after each batch with its sample count and duration in seconds. */
  onBatch?(samples: number, seconds: number): void;
  /** Called whenever the number of waiting requests changes. */
  onQueueDepth?(depth: number): void;
}

interface Item {
  x: Tensor;
  enqueuedAt: number;
  settled: boolean;
  resolve(t: Tensor): void;
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

/** A per-model queue that runs requests in dynamic batches. See {@link BatcherOptions}. */
export class DynamicBatcher {
  readonly #o: BatcherOptions;
  readonly #queue: Item[] = [];
  #running = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: BatcherOptions) {
    this.#o = opts;
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
  submit(x: Tensor): Promise<Tensor> {
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
    return new Promise<Tensor>((resolve, reject) => {
      const item: Item = { x, enqueuedAt: performance.now(), settled: false, resolve, reject, timer: null };
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
      this.#pump();
    });
  }

  #settle(item: Item, result: Tensor | Error): void {
    if (item.settled) return;
    item.settled = true;
    if (item.timer) clearTimeout(item.timer);
    if (result instanceof Error) item.reject(result);
    else item.resolve(result);
  }

  #pump(): void {
    if (this.#running || this.#queue.length === 0) return;
    const samples = this.#queue.reduce((a, it) => a + it.x.shape[0]!, 0);
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
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const batch: Item[] = [this.#queue.shift()!];
    let n = batch[0]!.x.shape[0]!;
    while (this.#queue.length > 0 && n + this.#queue[0]!.x.shape[0]! <= this.#o.maxBatch) {
      const it = this.#queue.shift()!;
      n += it.x.shape[0]!;
      batch.push(it);
    }
    this.#o.onQueueDepth?.(this.#queue.length);
    this.#running = true;
    void this.#runBatch(batch, n);
  }

  async #runBatch(batch: Item[], n: number): Promise<void> {
    const t0 = performance.now();
    try {
      const out = await this.#o.run(concatRows(batch.map((it) => it.x)));
      this.#o.onBatch?.(n, (performance.now() - t0) / 1000);
      let at = 0;
      for (const it of batch) {
        const k = it.x.shape[0]!;
        this.#settle(it, batch.length === 1 ? out : rows(out, at, at + k));
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
