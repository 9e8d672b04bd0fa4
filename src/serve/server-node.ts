/**
 * `st.serve`: an inference server on fastify speaking the Open Inference Protocol (KServe v2 /
 * Triton HTTP JSON), with image classification, dynamic batching, inference in worker threads,
 * backpressure, API keys, Prometheus metrics and graceful shutdown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGate } from './api-key-gate.js';
import { classifyImage } from './classify-image.js';
import { detectUpload } from './detect-upload-node.js';
import {
  startDetectorRunner,
  type DetectJob,
  type DetectorRunner,
  type DetectResult,
} from './detector-runner-node.js';
import { DynamicBatcher, oneAtATime, type BatcherOptions } from './dynamic-batcher.js';
import { embedImage } from './embed-image.js';
import { HttpError } from './http-error.js';
import { modelPreprocessing } from './image-input-node.js';
import { inferResponse, modelMetadata, parseInferRequest } from './infer-request.js';
import { loadServedModels } from './model-repository-node.js';
import { startModelRunner, type ModelRunner } from './model-runner-node.js';
import { maskPng } from './mask-png-node.js';
import { openApiDocument } from './openapi.js';
import { requestImage } from './request-image-node.js';
import type { ServeMetrics } from './serve-metrics.js';
import { resolveServeOptions, type ResolvedServeOptions, type ServeOptions } from './serve-options.js';
import { detectorMetadata, type ServedDetector } from './served-detector.js';
import type { ServedModel } from './served-model.js';
import type { Tensor } from '../tensor/tensor.js';
import { segmentImage } from './segment-image.js';

/** A running inference server. */
export interface InferenceServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  /** The fastify instance (for `inject` in tests, extra routes, hooks). */
  readonly app: FastifyInstance;
  /** The models it serves through `/infer` (and the image routes of their kind). */
  readonly models: readonly ServedModel[];
  /** The detectors it serves through `/detect`. */
  readonly detectors: readonly ServedDetector[];
  /**
   * Stop gracefully: readiness turns 503, new connections are refused, requests in flight (and
   * queued) finish, then the worker threads stop.
   */
  close(): Promise<void>;
}

/** A served module (with its batcher) or a served detector. */
type Entry =
  | { kind: 'module'; model: ServedModel; batcher: DynamicBatcher; runner: ModelRunner }
  | {
      kind: 'detector';
      model: ServedDetector;
      batcher: DynamicBatcher<DetectJob, DetectResult>;
      runner: DetectorRunner;
    };

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];

/** A query parameter in [0, 1] (undefined when absent); anything else is a 400. */
function probability(req: FastifyRequest, name: string): number | undefined {
  const text = (req.query as Record<string, string | undefined>)[name];
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text === '' || !(v >= 0 && v <= 1))
    throw new HttpError(400, `${name} must be a number in [0, 1], got '${text}'`);
  return v;
}

/** Whether an Accept header asks for JSON before (or instead of) a PNG. */
function wantsJson(accept: string | undefined): boolean {
  const json = accept?.indexOf('application/json') ?? -1;
  const png = accept?.indexOf('image/png') ?? -1;
  return json >= 0 && (png < 0 || json < png);
}

/** Versions by model name, the default (highest) version last. */
function index(entries: readonly Entry[]): Map<string, Map<string, Entry>> {
  const byName = new Map<string, Map<string, Entry>>();
  for (const e of entries) {
    const versions = byName.get(e.model.name) ?? new Map<string, Entry>();
    versions.set(e.model.version, e);
    byName.set(e.model.name, versions);
  }
  for (const [name, versions] of byName) {
    byName.set(name, new Map([...versions].sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))));
  }
  return byName;
}

/**
 * fastify, its multipart plugin and prom-client (the metrics), loaded when a server starts rather
 * than with `import 'stride'`: together they hold ~23 MiB that a process which never serves
 * should not pay for.
 */
async function loadWebModules() {
  const [{ default: Fastify }, { default: multipart }, { ServeMetrics }] = await Promise.all([
    import('fastify'),
    import('@fastify/multipart'),
    import('./serve-metrics.js'),
  ]);
  return { Fastify, multipart, ServeMetrics };
}

function buildApp(
  o: ResolvedServeOptions,
  entries: readonly Entry[],
  metrics: ServeMetrics,
  state: { ready: boolean },
  { Fastify, multipart }: Awaited<ReturnType<typeof loadWebModules>>,
): FastifyInstance {
  const app = Fastify({
    logger: o.logger,
    bodyLimit: o.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const byName = index(entries);
  const gate =
    o.apiKeys && o.apiKeys.length > 0
      ? new ApiKeyGate({ keys: o.apiKeys, ratePerSecond: o.rateLimit })
      : null;
  const preprocess = o.preprocess ?? modelPreprocessing;

  app.register(multipart, { limits: { fileSize: o.bodyLimit, files: 1, fields: 4, parts: 5 } });
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof HttpError) {
      void reply.code(err.status).headers(err.headers).send({ error: err.message });
      return;
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error(err);
      void reply.code(500).send({ error: 'internal server error' });
      return;
    }
    void reply.code(status).send({ error: err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.recordRequest(
      req.routeOptions.url ?? 'unmatched',
      req.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  // While shutting down, answers close their connection, so that keep-alive clients do not hold
  // the server open (fastify only closes the connections idle when close() starts).
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (!state.ready) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onRequest', (req, _reply, done) => {
    if (gate && req.url.startsWith('/v2/models')) {
      try {
        gate.check(req.headers.authorization);
      } catch (e) {
        done(e as Error);
        return;
      }
    }
    done();
  });

  const find = (req: FastifyRequest): Entry => {
    const p = req.params as { name: string; version?: string };
    const versions = byName.get(p.name);
    if (!versions)
      throw new HttpError(404, `unknown model '${p.name}'; this server has ${[...byName.keys()].join(', ')}`);
    if (p.version === undefined) return [...versions.values()].at(-1)!;
    const e = versions.get(p.version);
    if (!e)
      throw new HttpError(
        404,
        `model '${p.name}' has no version '${p.version}' (versions: ${[...versions.keys()].join(', ')})`,
      );
    return e;
  };
  /** The module entry of a request; a detector answers only /detect. */
  const findModule = (req: FastifyRequest, route: string): Extract<Entry, { kind: 'module' }> => {
    const e = find(req);
    if (e.kind === 'detector')
      throw new HttpError(
        400,
        `model '${e.model.name}' is a detector; it has no /${route}: POST the image to /v2/models/${e.model.name}/detect`,
      );
    return e;
  };
  const both = (suffix: string): string[] => [
    `/v2/models/:name${suffix}`,
    `/v2/models/:name/versions/:version${suffix}`,
  ];

  app.get('/v2', async () => ({
    name: 'stride',
    version: '0.1.0',
    extensions: ['classify', 'detect', 'segment', 'embed'],
  }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    // Not ready while shutting down, or while a model's crashed worker thread is being restarted.
    if (!state.ready || entries.some((e) => !e.runner.ready)) return reply.code(503).send({ ready: false });
    return { ready: true };
  });
  for (const url of both('')) {
    app.get(url, async (req) => {
      const e = find(req);
      const versions = [...byName.get(e.model.name)!.keys()];
      return e.kind === 'detector' ? detectorMetadata(e.model, versions) : modelMetadata(e.model, versions);
    });
  }
  for (const url of both('/ready')) {
    app.get(url, async (req, reply) => {
      const e = find(req);
      if (!state.ready || !e.runner.ready) return reply.code(503).send({ name: e.model.name, ready: false });
      return { name: e.model.name, ready: true };
    });
  }
  for (const url of both('/infer')) {
    app.post(url, async (req) => {
      const e = findModule(req, 'infer');
      const r = parseInferRequest(req.body, e.model, o.maxRequestSamples);
      const out = await e.batcher.submit(r.input);
      return inferResponse(e.model, out, r.id);
    });
  }
  const versionOf = (e: Entry) => ({ model_name: e.model.name, model_version: e.model.version });
  for (const url of both('/classify')) {
    app.post(url, async (req: FastifyRequest) => {
      const e = findModule(req, 'classify');
      const q = req.query as { top_k?: string };
      const k = q.top_k === undefined ? o.topK : Number(q.top_k);
      if (!Number.isInteger(k) || k < 1)
        throw new HttpError(400, `top_k must be a positive integer, got '${q.top_k}'`);
      const predictions = await classifyImage(await requestImage(req), e.model, {
        preprocess,
        run: (x) => e.batcher.submit(x),
        maxPixels: o.maxPixels,
        topK: k,
      });
      return { ...versionOf(e), predictions };
    });
  }
  for (const url of both('/detect')) {
    app.post(url, async (req: FastifyRequest) => {
      const e = find(req);
      if (e.kind !== 'detector')
        throw new HttpError(
          400,
          `model '${e.model.name}' is not a detector (detectors: ${
            entries
              .filter((x) => x.kind === 'detector')
              .map((x) => x.model.name)
              .join(', ') || 'none on this server'
          })`,
        );
      const threshold = probability(req, 'threshold');
      const found = await detectUpload(await requestImage(req), {
        run: (job) => e.batcher.submit(job),
        maxPixels: o.maxPixels,
        ...(threshold !== undefined ? { threshold } : {}),
      });
      return { ...versionOf(e), ...found };
    });
  }
  for (const url of both('/segment')) {
    app.post(url, async (req: FastifyRequest, reply: FastifyReply) => {
      const e = findModule(req, 'segment');
      const threshold = probability(req, 'threshold');
      const { mask, counts } = await segmentImage(await requestImage(req), e.model, {
        preprocess,
        run: (x) => e.batcher.submit(x),
        maxPixels: o.maxPixels,
        ...(threshold !== undefined ? { threshold } : {}),
      });
      if (wantsJson(req.headers.accept)) {
        return { ...versionOf(e), width: mask.width, height: mask.height, classes: mask.numClasses, counts };
      }
      return reply.type('image/png').send(await maskPng(mask));
    });
  }
  for (const url of both('/embed')) {
    app.post(url, async (req: FastifyRequest) => {
      const e = findModule(req, 'embed');
      const embedding = await embedImage(await requestImage(req), e.model, {
        preprocess,
        run: (x) => e.batcher.submit(x),
        maxPixels: o.maxPixels,
      });
      return { ...versionOf(e), embedding };
    });
  }
  app.get('/metrics', async (_req, reply) => {
    for (const e of entries) metrics.queueDepth.set({ model: e.model.name }, e.batcher.depth);
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  const doc = openApiDocument(gate !== null);
  app.get('/openapi.json', async () => doc);
  return app;
}

/**
 * Start an inference server for `options.models` and resolve once it listens. The models are
 * loaded and checked first (a forward pass on zeros each), so a bad model fails here, not on the
 * first request.
 *
 * @example
 * ```ts
 * const server = await st.serve({ models: ['lenet5'], port: 0 });
 * const res = await fetch(`${server.url}/v2/models/lenet5`);
 * await server.close();
 * ```
 */
export async function serve(options: ServeOptions): Promise<InferenceServer> {
  const o = resolveServeOptions(options);
  const { models, detectors } = loadServedModels(o.models, o.inputShape ? { inputShape: o.inputShape } : {});
  const web = await loadWebModules();
  const metrics = new web.ServeMetrics({ processMetrics: true });
  // Start each model's worker thread now, so that ready means ready.
  const runnerOptions = (name: string) => ({
    workerThreads: o.workerThreads,
    mainThreadMacs: o.mainThreadMacs,
    restartDelayMs: o.restartDelayMs,
    onRestart: () => metrics.workerRestarts.inc({ model: name }),
    warn: (msg: string) => process.emitWarning(msg),
  });
  const runners = new Map<ServedModel, ModelRunner>();
  for (const m of models) runners.set(m, await startModelRunner(m, runnerOptions(m.name)));
  const detectorRunners: DetectorRunner[] = [];
  for (const d of detectors) detectorRunners.push(await startDetectorRunner(d, runnerOptions(d.name)));
  /** The queue options every model shares, with its metrics. */
  const queued = (name: string): Omit<BatcherOptions, 'run' | 'maxBatch'> => {
    // The model's labelled series, looked up once rather than hashed on every request.
    const batchSize = metrics.batchSize.labels({ model: name });
    const batchSeconds = metrics.batchSeconds.labels({ model: name });
    const queueDepth = metrics.queueDepth.labels({ model: name });
    return {
      delayMs: o.batchDelayMs,
      queueLimit: o.queueLimit,
      timeoutMs: o.timeoutMs,
      onBatch: (n, s) => {
        batchSize.observe(n);
        batchSeconds.observe(s);
      },
      onQueueDepth: (d) => queueDepth.set(d),
    };
  };
  const entries: Entry[] = models.map((model) => {
    const runner = runners.get(model)!;
    return {
      kind: 'module' as const,
      model,
      runner,
      batcher: new DynamicBatcher<Tensor, Tensor>({
        ...queued(model.name),
        maxBatch: o.maxBatch,
        run: (x, owned) => runner.run(x, owned),
      }),
    };
  });
  // A detector's requests are whole photos: they queue like the other models' but run one at a time.
  detectors.forEach((model, i) => {
    const runner = detectorRunners[i]!;
    entries.push({
      kind: 'detector',
      model,
      runner,
      batcher: new DynamicBatcher<DetectJob, DetectResult>(
        { ...queued(model.name), delayMs: 0, maxBatch: 1, run: (job) => runner.run(job) },
        oneAtATime(),
      ),
    });
  });
  const state = { ready: false };
  const app = buildApp(o, entries, metrics, state, web);
  await app.listen({ host: o.host, port: o.port });
  state.ready = true;
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    app,
    models,
    detectors,
    close() {
      closing ??= (async () => {
        state.ready = false;
        await app.close();
        await Promise.all(entries.map((e) => e.runner.close()));
      })();
      return closing;
    },
  };
}
