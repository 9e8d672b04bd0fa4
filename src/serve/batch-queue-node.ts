/**
 * Offline batch inference on a BullMQ queue in Redis: `submitImages` puts one job per image (the
 * encoded bytes travel in the job, so workers on other machines need no shared disk) and
 * `batchResults` reads each job's stored result. Workers are in `batch-worker-node.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
// bullmq loads on the first call (dynamic import below), not with `import 'stride'`.
import type { ConnectionOptions } from 'bullmq';
import { ValueError } from '../errors.js';
import type { ClassScore } from './top-classes.js';

/** The queue name used when none is given. */
export const DEFAULT_QUEUE = 'stride-batch';

/** The defaults of {@link submitImages} and `startBatchWorker`, declared once (`stride batch`/`worker` show and use them). */
export const BATCH_DEFAULTS = {
  /** Attempts per job before it fails. */
  attempts: 3,
  /** Jobs a worker runs at once. */
  concurrency: 1,
  /** How long a job stays claimed by a worker that stopped answering, in ms. */
  lockMs: 30000,
  /** Classes stored per image. */
  topK: 5,
} as const;

/** What one job carries. */
export interface BatchJobData {
  /** The image's file name, as given at submission. */
  file: string;
  /** The encoded image (JPEG/PNG/WebP), base64. */
  image: string;
}

/** What a worker stores as a job's result. */
export interface BatchJobResult {
  file: string;
  /** `name/version` of the model that ran it. */
  model: string;
  /** `host:pid` of the worker that ran it. */
  worker: string;
  predictions: ClassScore[];
}

/** One job's state as {@link batchResults} reports it. */
export interface BatchJobStatus {
  id: string;
  file: string;
  state: string;
  /** How many times a worker started it (more than 1 after a retry). */
  attemptsStarted: number;
  result: BatchJobResult | null;
  error: string | null;
}

/** Redis connection options for BullMQ from a `redis://host:port[/db]` URL. */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValueError('batch', `--redis must be a URL like redis://127.0.0.1:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ValueError('batch', `--redis must be a redis:// URL, got '${url}'`);
  return { url, maxRetriesPerRequest: null };
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** The image files named by `paths`: files as given, folders searched recursively (sorted). */
export function imageFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.push(p);
    }
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new ValueError('batch', `no such image file or folder: ${p}`);
    }
    if (isDir) walk(p);
    else out.push(p);
  }
  if (out.length === 0) throw new ValueError('batch', `no JPEG, PNG or WebP images in ${paths.join(', ')}`);
  return out;
}

/** Options of {@link submitImages}. */
export interface SubmitOptions {
  /** `redis://host:port`. */
  redis: string;
  /** Queue name (default {@link DEFAULT_QUEUE}). */
  queue?: string;
  /** Attempts per job before it counts as failed (default 3). A worker killed mid-job does not use one up. */
  attempts?: number;
}

/** Put one job per image of `paths` (files or folders) on the queue; resolves with the job ids in order. */
export async function submitImages(
  paths: readonly string[],
  opts: SubmitOptions,
): Promise<{ id: string; file: string }[]> {
  const files = imageFiles(paths);
  const { Queue } = await import('bullmq');
  const queue = new Queue<BatchJobData, BatchJobResult>(opts.queue ?? DEFAULT_QUEUE, {
    connection: redisConnection(opts.redis),
  });
  try {
    const jobs = await queue.addBulk(
      files.map((file) => ({
        name: 'classify',
        data: { file, image: readFileSync(file).toString('base64') },
        opts: {
          attempts: opts.attempts ?? BATCH_DEFAULTS.attempts,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    return jobs.map((j, i) => ({ id: j.id!, file: files[i]! }));
  } finally {
    await queue.close();
  }
}

/** Options of {@link batchResults}. */
export interface ResultsOptions {
  redis: string;
  queue?: string;
  /** Only these job ids (default: every job on the queue). */
  ids?: readonly string[];
  /** Wait until every job (of `ids`, or on the queue) is completed or failed, polling this often in ms. */
  waitMs?: number;
}

/** The state and stored result of each job. */
export async function batchResults(opts: ResultsOptions): Promise<BatchJobStatus[]> {
  const { Queue } = await import('bullmq');
  const queue = new Queue<BatchJobData, BatchJobResult>(opts.queue ?? DEFAULT_QUEUE, {
    connection: redisConnection(opts.redis),
  });
  try {
    for (;;) {
      const ids =
        opts.ids ??
        (await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized'])).map(
          (j) => j.id!,
        );
      const statuses: BatchJobStatus[] = [];
      for (const id of ids) {
        // The state first, then the job: a job read before it completed would lack its result.
        const state = await queue.getJobState(id);
        const j = await queue.getJob(id);
        if (!j) {
          statuses.push({ id, file: '', state: 'unknown', attemptsStarted: 0, result: null, error: null });
          continue;
        }
        statuses.push({
          id,
          file: j.data.file,
          state,
          attemptsStarted: j.attemptsStarted,
          result: state === 'completed' ? j.returnvalue : null,
          error: state === 'failed' ? j.failedReason : null,
        });
      }
      const done = statuses.every(
        (s) => s.state === 'completed' || s.state === 'failed' || s.state === 'unknown',
      );
      if (done || opts.waitMs === undefined) return statuses.sort((a, b) => Number(a.id) - Number(b.id));
      await new Promise((r) => setTimeout(r, opts.waitMs));
    }
  } finally {
    await queue.close();
  }
}
