// The infer request path's fast paths keep the same answers: a flat `data` array is validated as
// strictly as a nested one (non-numbers and non-finite values are 400s naming the problem), and
// the request metrics kept as cached labelled series count exactly the requests answered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { DynamicBatcher } from '../../src/serve/dynamic-batcher.js';
import { HttpError } from '../../src/serve/http-error.js';
import { parseInferRequest } from '../../src/serve/infer-request.js';
import { ServeMetrics } from '../../src/serve/serve-metrics.js';
import type { ServedModel } from '../../src/serve/served-model.js';

const model = {
  name: 'm',
  version: '1',
  inputShape: [2, 2],
  outputShape: [3],
  inputName: 'input',
  outputName: 'output',
} as unknown as ServedModel;
const body = (data: unknown, shape: number[] = [1, 2, 2]) => ({
  inputs: [{ name: 'input', shape, datatype: 'FP32', data }],
});

function rejects400(data: unknown, message: RegExp, shape?: number[]): void {
  assert.throws(
    () => parseInferRequest(body(data, shape), model, 8),
    (e: unknown) => e instanceof HttpError && e.status === 400 && message.test(e.message),
  );
}

describe('infer request data: flat and nested arrays', () => {
  it('copies a flat array and a nested one to the same tensor', () => {
    const flat = parseInferRequest(body([1, -2.5, 3e-3, 4]), model, 8).input;
    const nested = parseInferRequest(
      body([
        [
          [1, -2.5],
          [3e-3, 4],
        ],
      ]),
      model,
      8,
    ).input;
    assert.deepEqual(flat.shape, [1, 2, 2]);
    assert.deepEqual(Array.from(flat.data), Array.from(Float32Array.of(1, -2.5, 3e-3, 4)));
    assert.deepEqual(Array.from(nested.data), Array.from(flat.data));
  });
  it('refuses a flat array holding a string, null, or a non-finite number (JSON 1e999)', () => {
    rejects400([1, 2, 3, '4'], /only numbers \(FP32\), found string/);
    rejects400([null, 2, 3, 4], /found null/);
    rejects400(JSON.parse('[1, 2, 1e999, 4]'), /non-finite/);
    rejects400(JSON.parse('[1, 2, 3, -1e999]'), /non-finite/);
  });
  it('refuses too few and too many values, naming both counts', () => {
    rejects400([1, 2, 3], /has 3 values but its shape \[1, 2, 2\] holds 4/);
    rejects400([1, 2, 3, 4, 5], /more than the 4 values/);
  });
});

describe('ServeMetrics.recordRequest', () => {
  it('counts each request under its route, method and status, and observes its latency', async () => {
    const m = new ServeMetrics();
    m.recordRequest('/v2/models/:name/infer', 'POST', 200, 0.002);
    m.recordRequest('/v2/models/:name/infer', 'POST', 200, 0.2);
    m.recordRequest('/v2/models/:name/infer', 'POST', 400, 0.001);
    m.recordRequest('unmatched', 'GET', 404, 0.001);
    const text = await m.registry.metrics();
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
    assert.equal(
      line('stride_http_requests_total{route="/v2/models/:name/infer",method="POST",status="200"}'),
      'stride_http_requests_total{route="/v2/models/:name/infer",method="POST",status="200"} 2',
    );
    assert.match(
      line('stride_http_requests_total{route="/v2/models/:name/infer",method="POST",status="400"}')!,
      / 1$/,
    );
    assert.match(line('stride_http_requests_total{route="unmatched",method="GET",status="404"}')!, / 1$/);
    // The infer route's latency series holds all three of its requests; 0.2 s is above 0.1.
    assert.match(line('stride_http_request_duration_seconds_count{route="/v2/models/:name/infer"}')!, / 3$/);
    assert.match(
      line('stride_http_request_duration_seconds_bucket{le="0.1",route="/v2/models/:name/infer"}')!,
      / 2$/,
    );
  });
});

describe('stride serve: batch metrics per model', () => {
  it("records one batch per request with batching off, in the model's series", async () => {
    st.manualSeed(0);
    const server = await st.serve({ models: ['lenet5'], port: 0, maxBatch: 1 });
    try {
      const payload = body(
        Array.from({ length: 1024 }, (_, i) => (i % 7) / 7),
        [1, 1, 32, 32],
      );
      for (let i = 0; i < 3; i++) {
        const r = await server.app.inject({ method: 'POST', url: '/v2/models/lenet5/infer', payload });
        assert.equal(r.statusCode, 200, r.body);
      }
      const text = (await server.app.inject({ url: '/metrics' })).body;
      assert.match(text, /stride_batch_size_count\{model="lenet5"\} 3\n/);
      assert.match(text, /stride_batch_duration_seconds_count\{model="lenet5"\} 3\n/);
      assert.match(
        text,
        /stride_http_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="200"\} 3\n/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('DynamicBatcher with a model on the main thread', () => {
  /** A batcher whose run answers at once (as a main-thread forward pass does): row i -> 10 * its value. */
  function immediate(maxBatch: number) {
    const batches: number[] = [];
    const owned: boolean[] = [];
    const b = new DynamicBatcher({
      maxBatch,
      delayMs: 0,
      queueLimit: 16,
      timeoutMs: 0,
      run: (x, own) => {
        batches.push(x.shape[0]!);
        owned.push(own);
        return Promise.resolve(st.mul(x, 10));
      },
    });
    return { b, batches, owned };
  }
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('joins the requests queued in the same event-loop turn into one batch', async () => {
    const { b, batches } = immediate(8);
    const outs = [b.submit(st.full([1, 2], 1)), b.submit(st.full([2, 2], 2)), b.submit(st.full([1, 2], 3))];
    assert.deepEqual(batches, [], 'the first request waits for the end of the turn');
    const answers = await Promise.all(outs);
    assert.deepEqual(batches, [4]);
    assert.deepEqual(
      answers.map((t) => t.toArray()),
      [
        [[10, 10]],
        [
          [20, 20],
          [20, 20],
        ],
        [[30, 30]],
      ],
    );
  });
  it('runs a batch as soon as it is full, and the rest in the next one', async () => {
    const { b, batches, owned } = immediate(2);
    const inputs = [1, 2, 3].map((v) => st.full([1, 2], v));
    const outs = inputs.map((x) => b.submit(x));
    assert.deepEqual(batches, [2], 'two samples fill the batch: it starts without waiting');
    await Promise.all(outs);
    assert.deepEqual(batches, [2, 1]);
    // A stacked batch is the run's own (a worker may take its storage); a lone request is the caller's.
    assert.deepEqual(owned, [true, false]);
    assert.deepEqual(
      inputs.map((x) => x.toArray()),
      [[[1, 1]], [[2, 2]], [[3, 3]]],
    );
  });
  it('with batching off (maxBatch 1), runs each request at once', async () => {
    const { b, batches } = immediate(1);
    const out = b.submit(st.full([1, 2], 1));
    assert.deepEqual(batches, [1]);
    assert.deepEqual((await out).toArray(), [[10, 10]]);
    await tick();
    assert.deepEqual(batches, [1]);
  });
});

describe('stride serve: batching a model', () => {
  for (const where of ['main thread', 'worker thread'] as const)
    it(`on the ${where}: answers concurrent requests as one batch, each exactly as when run alone`, async () => {
      // In the worker thread the stacked batch's storage moves to the worker (forwardAsync's transfer).
      const workerOpts = where === 'worker thread' ? { mainThreadMacs: 0, workerThreads: true } : {};
      await batchedEqualsAlone(workerOpts);
    });
});

async function batchedEqualsAlone(extra: {
  mainThreadMacs?: number;
  workerThreads?: boolean;
}): Promise<void> {
  st.manualSeed(0);
  const server = await st.serve({ models: ['lenet5'], port: 0, maxBatch: 8, ...extra });
  try {
    const inputs = [0, 1, 2, 3].map((k) => Array.from({ length: 1024 }, (_, i) => ((i * (k + 3)) % 11) / 11));
    const infer = (data: number[]) =>
      server.app.inject({
        method: 'POST',
        url: '/v2/models/lenet5/infer',
        payload: body(data, [1, 1, 32, 32]),
      });
    // One at a time (each its own batch of one), then all four at once.
    const alone = [];
    for (const x of inputs) alone.push((await infer(x)).json().outputs[0].data);
    const together = (await Promise.all(inputs.map(infer))).map((r) => r.json().outputs[0].data);
    assert.deepEqual(together, alone);
    const text = (await server.app.inject({ url: '/metrics' })).body;
    const count = Number(/stride_batch_size_count\{model="lenet5"\} (\d+)/.exec(text)![1]);
    const sum = Number(/stride_batch_size_sum\{model="lenet5"\} (\d+)/.exec(text)![1]);
    assert.equal(sum, 8);
    assert.ok(count < 8, `the 4 concurrent requests ran in fewer than 4 batches (${count - 4})`);
  } finally {
    await server.close();
  }
}
