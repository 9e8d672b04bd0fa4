import { ValueError } from '../errors.js';
import type { ImagePreprocessor } from './image-input-node.js';
import type { ModelSpec } from './model-repository-node.js';

/** Options of `st.serve` (and the flags of `stride serve`). */
export interface ServeOptions {
  /** The models: zoo names, model files or folders, model repositories, or `{ name, module }`. */
  models: readonly ModelSpec[];
  /** Address to listen on (default 127.0.0.1; `0.0.0.0` to accept other machines). */
  host?: string;
  /** Port (default 8080; 0 picks a free one, see `server.url`). */
  port?: number;
  /** Per-sample input shape for models that do not declare one, e.g. [1, 28, 28]. */
  inputShape?: readonly number[];
  /** Most samples in one batched forward pass (default 8; 1 turns dynamic batching off). */
  maxBatch?: number;
  /**
   * How long a request that finds the model idle waits for others to join its batch, in ms
   * (default 0: it runs at the end of the event loop's current turn, with the requests read in
   * that turn, and the requests that arrive while it runs form the next batch).
   */
  batchDelayMs?: number;
  /** Most requests waiting per model before 503 + Retry-After (default 64). */
  queueLimit?: number;
  /** A request not answered within this many ms gets 504 (default 30000; 0: no limit). */
  timeoutMs?: number;
  /** Most samples in one infer request (default 64). */
  maxRequestSamples?: number;
  /** Largest request body in bytes (default 32 MiB). */
  bodyLimit?: number;
  /** Largest image in pixels (width x height), checked before decoding (default 40,000,000). */
  maxPixels?: number;
  /** Classes returned by `/classify` unless the request asks `?top_k=` (default 5). */
  topK?: number;
  /** Bearer API keys; when given, the model routes require one. */
  apiKeys?: readonly string[];
  /** Requests per second per API key (default: no limit). */
  rateLimit?: number;
  /** Run the forward passes in worker threads (`model.forwardAsync`, default true). */
  workerThreads?: boolean;
  /**
   * Models of fewer multiply-accumulates per sample than this (`st.countMacs`) run on the main
   * thread even with workerThreads, where the hop to a thread would cost more than their forward
   * pass (default 5,000,000: LeNet-5 runs there, ResNet-18 in a worker; 0: every model in a worker).
   */
  mainThreadMacs?: number;
  /**
   * Wait before restarting a crashed worker thread, in ms (default 500), doubled for each crash
   * in a row up to 30 s. Until it is back, the model's requests get 503 and it is not ready.
   */
  restartDelayMs?: number;
  /** Fastify's structured request logs (pino JSON on stdout; default false). */
  logger?: boolean;
  /** Image preprocessing for `/classify` (default: the model's recorded preprocessing through `st.preprocess`, after the header checks). */
  preprocess?: ImagePreprocessor;
}

/**
 * The defaults of {@link ServeOptions}, declared once: `resolveServeOptions` fills them in and
 * `stride serve`'s flags show and use the same values.
 */
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatch: 8,
  batchDelayMs: 0,
  queueLimit: 64,
  timeoutMs: 30000,
  maxRequestSamples: 64,
  bodyLimit: 32 * 1024 * 1024,
  maxPixels: 40_000_000,
  topK: 5,
  rateLimit: 0,
  workerThreads: true,
  mainThreadMacs: 5_000_000,
  restartDelayMs: 500,
  logger: false,
} as const;

/** {@link ServeOptions} with every default filled in. */
export type ResolvedServeOptions = Required<Omit<ServeOptions, 'inputShape' | 'preprocess' | 'apiKeys'>> &
  Pick<ServeOptions, 'inputShape' | 'preprocess' | 'apiKeys'>;

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min)
    throw new ValueError('serve', `${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Fill in the defaults and check every option once. */
export function resolveServeOptions(o: ServeOptions): ResolvedServeOptions {
  if (!Array.isArray(o.models) || o.models.length === 0)
    throw new ValueError(
      'serve',
      'models must name at least one model (a zoo name, a model path or a repository)',
    );
  if (o.apiKeys && o.apiKeys.some((k) => typeof k !== 'string' || k.length < 8 || /\s/.test(k)))
    throw new ValueError('serve', 'each API key must be a string of at least 8 characters without spaces');
  return {
    models: o.models,
    host: o.host ?? SERVE_DEFAULTS.host,
    port: positiveInt('port', o.port ?? SERVE_DEFAULTS.port, 0),
    maxBatch: positiveInt('maxBatch', o.maxBatch ?? SERVE_DEFAULTS.maxBatch),
    batchDelayMs: positiveInt('batchDelayMs', o.batchDelayMs ?? SERVE_DEFAULTS.batchDelayMs, 0),
    queueLimit: positiveInt('queueLimit', o.queueLimit ?? SERVE_DEFAULTS.queueLimit),
    timeoutMs: positiveInt('timeoutMs', o.timeoutMs ?? SERVE_DEFAULTS.timeoutMs, 0),
    maxRequestSamples: positiveInt(
      'maxRequestSamples',
      o.maxRequestSamples ?? SERVE_DEFAULTS.maxRequestSamples,
    ),
    bodyLimit: positiveInt('bodyLimit', o.bodyLimit ?? SERVE_DEFAULTS.bodyLimit),
    maxPixels: positiveInt('maxPixels', o.maxPixels ?? SERVE_DEFAULTS.maxPixels),
    topK: positiveInt('topK', o.topK ?? SERVE_DEFAULTS.topK),
    rateLimit: o.rateLimit ?? SERVE_DEFAULTS.rateLimit,
    workerThreads: o.workerThreads ?? SERVE_DEFAULTS.workerThreads,
    mainThreadMacs: positiveInt('mainThreadMacs', o.mainThreadMacs ?? SERVE_DEFAULTS.mainThreadMacs, 0),
    restartDelayMs: positiveInt('restartDelayMs', o.restartDelayMs ?? SERVE_DEFAULTS.restartDelayMs, 0),
    logger: o.logger ?? SERVE_DEFAULTS.logger,
    inputShape: o.inputShape,
    preprocess: o.preprocess,
    apiKeys: o.apiKeys,
  };
}
