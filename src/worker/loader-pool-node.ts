import type { Worker } from 'node:worker_threads';
import type { TransformSpec } from '../data/augment/transform-spec.js';
import type { BatchArrays } from '../data/batch-assembly.js';
import type { LoaderWorkerPool } from '../data/loader-workers.js';
import { ValueError } from '../errors.js';
import type { LoaderReply, LoaderRequest, LoaderWorkerData } from './loader-messages.js';
import { startWorkerThread } from './start-worker-node.js';
import { reviveError } from './transferred-error.js';

interface Pending {
  resolve(b: BatchArrays): void;
  reject(e: Error): void;
  stackTail: string;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Reject every pending batch of this thread. */
  failAll(err: Error): void;
}

/**
 * `numWorkers` worker threads that make batches of an asynchronous dataset (the `DataLoader`'s
 * `numWorkers`). Each request goes to the thread with the fewest batches pending; a thread is
 * kept referenced only while it has work, so an idle pool never keeps the process alive.
 */
export function createLoaderWorkerPool(
  recipe: unknown,
  transform: readonly TransformSpec[] | undefined,
  numWorkers: number,
): LoaderWorkerPool {
  const workerData: LoaderWorkerData = { recipe, transform };
  let nextId = 0;
  let closed = false;
  const threads: Thread[] = Array.from({ length: numWorkers }, () => {
    const thread: Thread = {
      worker: startWorkerThread(import.meta.url, 'loader-worker-node', { workerData }),
      pending: new Map(),
      failAll(err) {
        for (const p of thread.pending.values()) p.reject(err);
        thread.pending.clear();
      },
    };
    const failAll = (err: Error): void => thread.failAll(err);
    thread.worker.on('message', (reply: LoaderReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) thread.worker.unref();
      if (reply.ok) p.resolve(reply.batch);
      else p.reject(reviveError(reply.error, p.stackTail));
    });
    thread.worker.on('error', failAll);
    thread.worker.on('exit', (code) => {
      if (!closed) failAll(new ValueError('DataLoader', `a loader worker thread exited with code ${code}`));
    });
    thread.worker.unref();
    return thread;
  });
  return {
    load(indices, seed) {
      if (closed) return Promise.reject(new ValueError('DataLoader', 'the loader was closed'));
      const thread = threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      const stackTail = (new Error().stack ?? '').split('\n').slice(1).join('\n');
      return new Promise<BatchArrays>((resolve, reject) => {
        thread.pending.set(id, { resolve, reject, stackTail });
        thread.worker.ref();
        const req: LoaderRequest = { id, indices, seed };
        thread.worker.postMessage(req);
      });
    },
    async close() {
      closed = true;
      for (const t of threads) t.failAll(new ValueError('DataLoader', 'the loader was closed'));
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
