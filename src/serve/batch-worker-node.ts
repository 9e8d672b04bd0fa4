/**
 * A BullMQ worker that classifies the images submitted by `submitImages` with one model. Several
 * can run on any machines against the same Redis. The forward passes run in a worker thread, so
 * the event loop keeps renewing the job's lock; a worker that dies mid-job stops renewing it, and
 * after `lockMs` another worker takes the job again (a killed worker loses nothing).
 */
import { hostname } from 'node:os';
import { ValueError } from '../errors.js';
import {
  BATCH_DEFAULTS,
  DEFAULT_QUEUE,
  redisConnection,
  type BatchJobData,
  type BatchJobResult,
} from './batch-queue-node.js';
import { classifyImage } from './classify-image.js';
import { HttpError } from './http-error.js';
import { modelPreprocessing, type ImagePreprocessor } from './image-input-node.js';
import { loadServedModels, type ModelSpec } from './model-repository-node.js';
import { startModelRunner } from './model-runner-node.js';
import { SERVE_DEFAULTS } from './serve-options.js';

/** Options of {@link startBatchWorker}. */
export interface BatchWorkerOptions {
  redis: string;
  /** The model (as for `st.serve`; a repository's latest version is used). */
  model: ModelSpec;
  queue?: string;
  /** Per-sample input shape for a model that does not declare one. */
  inputShape?: readonly number[];
  /** Jobs run at once by this worker (default 1). */
  concurrency?: number;
  /** How long a job stays claimed by a worker that stopped answering before others retry it, in ms (default 30000). */
  lockMs?: number;
  /** Classes stored per image (default 5). */
  topK?: number;
  /** Largest image in pixels, checked before decoding (default 40,000,000). */
  maxPixels?: number;
  /** Run forward passes in a worker thread (default true). */
  workerThreads?: boolean;
  preprocess?: ImagePreprocessor;
  /** Called when a job starts (e.g. to log progress). */
  onJobStart?(id: string, file: string): void;
  /** Called when a job is done. */
  onJobDone?(id: string, result: BatchJobResult): void;
}

/** A running batch worker. */
export interface BatchWorker {
  /** `name/version` of the model. */
  readonly model: string;
  /** Stop taking jobs, finish the running ones, disconnect. */
  close(): Promise<void>;
}

/** Start a worker that processes the queue's jobs until closed. */
export async function startBatchWorker(opts: BatchWorkerOptions): Promise<BatchWorker> {
  const { models } = loadServedModels([opts.model], opts.inputShape ? { inputShape: opts.inputShape } : {});
  const model = models.at(-1);
  if (!model)
    throw new ValueError(
      'stride worker',
      'the batch worker classifies images; the model given is a detector',
    );
  const threads = opts.workerThreads ?? true;
  const runner = await startModelRunner(model, {
    workerThreads: threads,
    mainThreadMacs: 0,
    restartDelayMs: SERVE_DEFAULTS.restartDelayMs,
    warn: (msg) => process.emitWarning(msg),
  });
  const id = `${hostname()}:${process.pid}`;
  const modelName = `${model.name}/${model.version}`;
  const lockMs = opts.lockMs ?? BATCH_DEFAULTS.lockMs;
  // bullmq loads here, not with `import 'stride'` (it and its dependencies hold ~10 MiB).
  const { UnrecoverableError, Worker } = await import('bullmq');
  const worker = new Worker<BatchJobData, BatchJobResult>(
    opts.queue ?? DEFAULT_QUEUE,
    async (job) => {
      opts.onJobStart?.(job.id!, job.data.file);
      let predictions;
      try {
        predictions = await classifyImage(Buffer.from(job.data.image, 'base64'), model, {
          preprocess: opts.preprocess ?? modelPreprocessing,
          run: (x) => runner.run(x),
          maxPixels: opts.maxPixels ?? SERVE_DEFAULTS.maxPixels,
          topK: opts.topK ?? BATCH_DEFAULTS.topK,
        });
      } catch (e) {
        // A bad image fails the same way on every attempt: no retry.
        if (e instanceof HttpError && e.status < 500)
          throw new UnrecoverableError(`${job.data.file}: ${e.message}`);
        throw e;
      }
      const result: BatchJobResult = { file: job.data.file, model: modelName, worker: id, predictions };
      opts.onJobDone?.(job.id!, result);
      return result;
    },
    {
      connection: redisConnection(opts.redis),
      concurrency: opts.concurrency ?? BATCH_DEFAULTS.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 3,
      autorun: false,
    },
  );
  await worker.waitUntilReady();
  void worker.run();
  return {
    model: modelName,
    async close() {
      await worker.close();
      await runner.close();
    },
  };
}
