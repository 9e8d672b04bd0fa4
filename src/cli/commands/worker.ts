import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { parseShape } from './model-source.js';

const specs = {
  redis: { type: 'string', help: 'Redis URL, e.g. redis://127.0.0.1:6379 (required)' },
  queue: { type: 'string', help: 'queue name', default: st.DEFAULT_BATCH_QUEUE },
  input: {
    type: 'string',
    help: 'per-sample input shape for a model that does not declare one, e.g. 1x28x28',
  },
  concurrency: {
    type: 'int',
    help: 'jobs run at once by this worker',
    default: st.BATCH_DEFAULTS.concurrency,
  },
  'lock-ms': {
    type: 'int',
    help: 'how long a job stays claimed by a worker that stopped answering before another retries it',
    default: st.BATCH_DEFAULTS.lockMs,
  },
  'top-k': { type: 'int', help: 'classes stored per image', default: st.BATCH_DEFAULTS.topK },
} satisfies Record<string, OptionSpec>;

/** Help of `stride worker`. */
export const workerHelp = `stride worker --redis URL <model> [options]

Process the jobs of 'stride batch submit': classify each image with the model (a zoo name, a
saved Stride model, an ONNX or TF.js file, or a model repository) and store the top classes as the
job's result. Run as many workers as you like, on any machines that reach the Redis server; a
worker that dies mid-job loses nothing (another takes the job after --lock-ms). SIGTERM or Ctrl-C
stops after the running jobs.

${formatOptions(specs)}`;

/** `stride worker --redis redis://127.0.0.1:6379 runs/model` */
export async function workerCommand(argv: readonly string[]): Promise<void> {
  const { positional, options: o } = parseArgs(argv, specs);
  if (positional.length !== 1) throw new UsageError(`worker needs one model, got ${positional.length}`);
  const redis = o['redis'] as string | undefined;
  if (!redis) throw new UsageError('--redis is required (e.g. --redis redis://127.0.0.1:6379)');
  const worker = await st.startBatchWorker({
    redis,
    model: positional[0]!,
    queue: o.queue,
    ...(o['input'] !== undefined ? { inputShape: parseShape('input', o['input'] as string) } : {}),
    concurrency: o.concurrency,
    lockMs: o['lock-ms'],
    topK: o['top-k'],
    onJobStart: (id, file) => console.log(`job ${id} started: ${file}`),
    onJobDone: (id, r) => console.log(`job ${id} done: ${r.predictions[0]?.label ?? '-'}`),
  });
  console.log(`worker ${process.pid} ready: ${worker.model}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      console.log(`${signal}: finishing the running jobs`);
      void worker.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  console.log('stopped');
}
