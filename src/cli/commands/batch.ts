import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  redis: { type: 'string', help: 'Redis URL, e.g. redis://127.0.0.1:6379 (required)' },
  queue: { type: 'string', help: 'queue name', default: st.DEFAULT_BATCH_QUEUE },
  wait: { type: 'boolean', help: 'submit: wait until every job is done and print the results' },
  attempts: {
    type: 'int',
    help: 'submit: attempts per job before it fails',
    default: st.BATCH_DEFAULTS.attempts,
  },
} satisfies Record<string, OptionSpec>;

/** Help of `stride batch`. */
export const batchHelp = `stride batch submit --redis URL <images|folders>... [--wait]
stride batch results --redis URL

Offline batch classification on a BullMQ queue in Redis. 'submit' puts one job per image (JPEG,
PNG or WebP; folders are searched recursively) on the queue, with the image bytes in the job, and
prints "<job id> <file>" lines; 'stride worker' processes them on any machine. 'results' (or
'submit --wait') prints one JSON line per job with its state and stored result.

${formatOptions(specs)}`;

function printResults(results: readonly st.BatchJobStatus[]): void {
  for (const r of results) console.log(JSON.stringify(r));
}

/** `stride batch submit --redis redis://127.0.0.1:6379 photos/` */
export async function batchCommand(argv: readonly string[]): Promise<void> {
  const { positional, options: o } = parseArgs(argv, specs);
  const [action, ...paths] = positional;
  const redis = o['redis'] as string | undefined;
  if (!redis) throw new UsageError('--redis is required (e.g. --redis redis://127.0.0.1:6379)');
  const queue = o['queue'] as string;
  if (action === 'submit') {
    if (paths.length === 0) throw new UsageError('batch submit needs image files or folders');
    const jobs = await st.submitImages(paths, {
      redis,
      queue,
      attempts: o['attempts'] as number,
    });
    if (!o['wait']) {
      for (const j of jobs) console.log(`${j.id} ${j.file}`);
      return;
    }
    printResults(await st.batchResults({ redis, queue, ids: jobs.map((j) => j.id), waitMs: 200 }));
    return;
  }
  if (action === 'results') {
    if (paths.length > 0) throw new UsageError(`batch results takes no paths, got '${paths.join(' ')}'`);
    printResults(await st.batchResults({ redis, queue }));
    return;
  }
  throw new UsageError(
    `batch needs 'submit' or 'results', got ${action === undefined ? 'nothing' : `'${action}'`}`,
  );
}
