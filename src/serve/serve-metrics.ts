/**
 * The inference server's Prometheus metrics (prom-client), on a registry of its own so that
 * several servers in one process do not mix: requests by route and status, request latency,
 * batch sizes and durations, queue depth and worker-thread restarts per model.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics one server records. */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'stride_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'stride_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'stride_batch_size',
    help: 'Samples per forward pass, by model',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'stride_batch_duration_seconds',
    help: 'Duration of one batched forward pass, by model',
    labelNames: ['model'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'stride_queue_depth',
    help: 'Requests waiting for a batch, by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly workerRestarts = new Counter({
    name: 'stride_worker_restarts_total',
    help: 'Inference worker threads restarted after a crash, by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  /** Labelled series of {@link requests} and {@link latency}, by route, method and status. */
  readonly #series = new Map<
    string,
    {
      requests: ReturnType<ServeMetrics['requests']['labels']>;
      latency: ReturnType<ServeMetrics['latency']['labels']>;
    }
  >();

  /**
   * Count one answered request and observe its latency. Same series as `requests.inc` and
   * `latency.observe` with these labels, but each label set is resolved once and its series kept,
   * so a request costs no label hashing.
   */
  recordRequest(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let s = this.#series.get(key);
    if (!s) {
      s = {
        requests: this.requests.labels({ route, method, status: String(status) }),
        latency: this.latency.labels({ route }),
      };
      this.#series.set(key, s);
    }
    s.requests.inc();
    s.latency.observe(seconds);
  }

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'stride_' });
  }
}
