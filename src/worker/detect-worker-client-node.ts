import type { Worker } from 'node:worker_threads';
import type { Detection } from '../detection/detect-image-node.js';
import type { DetectOptions } from '../detection/detector.js';
import { StrideError } from '../errors.js';
import type { DetectReply, DetectRequest, DetectWorkerData } from './detect-worker-messages.js';
import { startWorkerThread } from './start-worker-node.js';
import { reviveError } from './transferred-error.js';
import { WorkerExitError } from './worker-exit-error.js';

interface Pending {
  resolve(found: { width: number; height: number; detections: Detection[] }): void;
  reject(e: Error): void;
  stackTail: string;
}

/**
 * A worker thread holding its own copy of a detector built by name (`loadDetector`), running
 * `st.detectImage` there. Start it with {@link DetectWorkerClient.start}, which resolves once the
 * detector is built (or rejects with the error that building it threw). The thread is unref'd
 * while idle, so it never keeps the process alive.
 */
export class DetectWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;
  #failure: Error | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /** Start a thread that builds detector `name` on backend `backend` and resolve once it is built. */
  static start(name: string, backend: string): Promise<DetectWorkerClient> {
    const workerData: DetectWorkerData = { detector: name, backend };
    const client = new DetectWorkerClient(
      startWorkerThread(import.meta.url, 'detect-worker-node', { workerData }),
    );
    const stackTail = new Error().stack ?? '';
    return new Promise((resolve, reject) => {
      let started = false;
      client.#worker.on('message', (reply: DetectReply) => {
        if (reply.kind === 'ready') {
          started = true;
          client.#worker.unref();
          resolve(client);
        } else if (reply.kind === 'init-failed') {
          void client.close();
          reject(reviveError(reply.error, stackTail));
        } else client.#answer(reply);
      });
      const fail = (err: Error): void => {
        client.#failure = err;
        for (const p of client.#pending.values()) p.reject(err);
        client.#pending.clear();
        if (!started) reject(err);
      };
      client.#worker.on('error', (err) =>
        fail(
          new WorkerExitError(
            'detectImage',
            `the detector's worker thread died of an uncaught error: ${err.message}`,
            null,
          ),
        ),
      );
      client.#worker.on('exit', (code) => {
        if (!client.#closed && !client.#failure)
          fail(
            new WorkerExitError('detectImage', `the detector's worker thread exited with code ${code}`, code),
          );
      });
    });
  }

  #answer(reply: Exclude<DetectReply, { kind: 'ready' | 'init-failed' }>): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.kind === 'result')
      p.resolve({ width: reply.width, height: reply.height, detections: reply.detections });
    else p.reject(reviveError(reply.error, p.stackTail));
  }

  /** `st.detectImage(detector, image, opts)`, run in the thread. */
  detect(
    image: Uint8Array,
    opts: DetectOptions = {},
  ): Promise<{ width: number; height: number; detections: Detection[] }> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed)
      return Promise.reject(new StrideError('detectImage', "the detector's worker thread was closed"));
    const id = this.#nextId++;
    const msg: DetectRequest = { id, image: Uint8Array.from(image), opts };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, stackTail: new Error().stack ?? '' });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage(msg, [msg.image.buffer as ArrayBuffer]);
    });
  }

  /** Stop the thread; detections still pending are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new StrideError('detectImage', "the detector's worker thread was closed before it answered");
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    await this.#worker.terminate();
  }
}
