// Serving under load: dynamic batching (same answers as unbatched calls), the bounded queue (503 +
// Retry-After), timeouts (504), inference in worker threads (health answers while the model is
// busy), API keys with rate limits, and graceful shutdown.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamicBatcher } from '../../src/serve/dynamic-batcher.js';
import { HttpError } from '../../src/serve/http-error.js';
import * as st from '../../src/node.js';
import { handAnswer, handModel, inferBody, postJson, startServeCli } from './serve-helpers.js';

/** Resolve once a request for `model` waits in the server's queue (read from /metrics). */
async function untilQueued(url: string, model: string): Promise<void> {
  const re = new RegExp(`stride_queue_depth\\{model="${model}"\\} 1`);
  for (;;) {
    if (re.test(await (await fetch(`${url}/metrics`)).text())) return;
    await new Promise((res) => setTimeout(res, 2));
  }
}

describe('DynamicBatcher', () => {
  /** A batcher whose forward passes wait until the test releases them; records batch sizes. */
  function controlled(opts: { maxBatch: number; queueLimit: number; timeoutMs?: number; delayMs?: number }) {
    const batches: number[] = [];
    const release: (() => void)[] = [];
    const b = new DynamicBatcher({
      maxBatch: opts.maxBatch,
      delayMs: opts.delayMs ?? 0,
      queueLimit: opts.queueLimit,
      timeoutMs: opts.timeoutMs ?? 0,
      run: (x) => {
        batches.push(x.shape[0]!);
        // Output row i = 10 * (first value of input row i).
        const per = x.data.length / x.shape[0]!;
        const out = st.tensor(Array.from({ length: x.shape[0]! }, (_, i) => [10 * x.data[i * per]!]));
        return new Promise((resolve) => release.push(() => resolve(out)));
      },
    });
    return { b, batches, release };
  }
  const sample = (v: number, n = 1): st.Tensor => st.full([n, 2], v);
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('runs the requests that wait meanwhile as one batch and gives each its own rows', async () => {
    const { b, batches, release } = controlled({ maxBatch: 4, queueLimit: 10 });
    const first = b.submit(sample(1));
    await tick();
    const rest = [b.submit(sample(2, 2)), b.submit(sample(3)), b.submit(sample(4)), b.submit(sample(5))];
    release.shift()!();
    assert.deepEqual((await first).toArray(), [[10]]);
    await tick();
    // 2 + 1 + 1 samples fill the batch of 4; the fifth request waits for the next one.
    assert.deepEqual(batches, [1, 4]);
    release.shift()!();
    await tick();
    release.shift()!();
    const outs = await Promise.all(rest);
    assert.deepEqual(
      outs.map((t) => t.toArray()),
      [[[20], [20]], [[30]], [[40]], [[50]]],
    );
    assert.deepEqual(batches, [1, 4, 1]);
  });

  it('refuses requests over the queue limit with 503 and Retry-After', async () => {
    const { b, release } = controlled({ maxBatch: 1, queueLimit: 2 });
    const running = b.submit(sample(1));
    await tick();
    const queued = [b.submit(sample(2)), b.submit(sample(3))];
    await assert.rejects(b.submit(sample(4)), (e: unknown) => {
      assert.ok(e instanceof HttpError);
      assert.equal(e.status, 503);
      assert.equal(e.headers['retry-after'], '1');
      return true;
    });
    for (let i = 0; i < 3; i++) {
      release.shift()!();
      await tick();
    }
    await Promise.all([running, ...queued]);
  });

  it('answers 504 when a request waits longer than the timeout', async () => {
    const { b, release } = controlled({ maxBatch: 1, queueLimit: 4, timeoutMs: 30 });
    const running = b.submit(sample(1));
    await assert.rejects(running, (e: unknown) => e instanceof HttpError && e.status === 504);
    release.shift()!();
  });
});

/** A network slow enough on CPU that a forward pass of 8 samples takes a noticeable while. */
function heavyModel(): st.Sequential {
  st.manualSeed(5);
  return st.models.setDefaultInputShape(
    new st.Sequential(
      new st.Conv2d(3, 64, 3, { padding: 1 }),
      new st.ReLU(),
      new st.Conv2d(64, 64, 3, { padding: 1 }),
      new st.ReLU(),
      new st.Conv2d(64, 64, 3, { padding: 1 }),
      new st.AdaptiveAvgPool2d(1),
      new st.Flatten(),
    ),
    [3, 64, 64],
  );
}

describe('stride serve under load (worker threads)', () => {
  let server: st.InferenceServer;
  before(async () => {
    st.manualSeed(11);
    server = await st.serve({
      models: [
        { name: 'lenet', module: st.models.lenet5() },
        { name: 'heavy', module: heavyModel() },
      ],
      port: 0,
      maxBatch: 8,
      batchDelayMs: 40,
      mainThreadMacs: 0, // LeNet-5 too runs in a worker thread here
    });
  });
  after(() => server.close());

  it('batched answers equal unbatched ones exactly', async () => {
    st.manualSeed(2);
    const inputs = Array.from({ length: 8 }, () => Array.from(st.rand([1, 1, 32, 32]).data));
    const call = async (data: number[]): Promise<number[]> => {
      const r = await postJson(`${server.url}/v2/models/lenet/infer`, inferBody([1, 1, 32, 32], data));
      assert.equal(r.status, 200);
      return ((await r.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
    };
    const alone: number[][] = [];
    for (const x of inputs) alone.push(await call(x));
    const together = await Promise.all(inputs.map(call));
    assert.deepEqual(together, alone);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = Number(/stride_batch_size_count\{model="lenet"\} (\d+)/.exec(text)![1]);
    const sum = Number(/stride_batch_size_sum\{model="lenet"\} (\d+)/.exec(text)![1]);
    // 8 lone calls, then the 8 concurrent ones in fewer than 8 passes.
    assert.equal(sum, 16);
    assert.ok(count < 16, `the concurrent calls ran in ${count - 8} passes`);
  });

  it('answers health checks while a model is busy', async () => {
    st.manualSeed(3);
    const data = Array.from(st.rand([8, 3, 64, 64]).data);
    let inferDone = false;
    const infer = postJson(`${server.url}/v2/models/heavy/infer`, inferBody([8, 3, 64, 64], data)).then(
      (r) => {
        inferDone = true;
        return r;
      },
    );
    // Poll readiness until the forward pass has started in its worker and answer at least once
    // while it is still running.
    let answeredWhileBusy = 0;
    while (!inferDone) {
      const r = await fetch(`${server.url}/v2/health/ready`);
      assert.equal(r.status, 200);
      if (!inferDone) answeredWhileBusy++;
      await new Promise((res) => setTimeout(res, 5));
    }
    assert.equal((await infer).status, 200);
    assert.ok(answeredWhileBusy >= 3, `health answered ${answeredWhileBusy} times during the forward pass`);
  });

  it('finishes requests in flight on close, then refuses connections', async () => {
    const data = Array.from({ length: 1024 }, (_, i) => (i % 13) / 13);
    // The request waits 40 ms for a batch to form: close() starts once it is queued.
    const pending = postJson(`${server.url}/v2/models/lenet/infer`, inferBody([1, 1, 32, 32], data));
    await untilQueued(server.url, 'lenet');
    const closed = server.close();
    const r = await pending;
    assert.equal(r.status, 200);
    await closed;
    await assert.rejects(fetch(`${server.url}/v2/health/live`));
  });
});

describe('stride serve with a model forwardAsync cannot rebuild', () => {
  /** A custom Module subclass: no saved form, so no worker thread; it doubles its input. */
  class Doubler extends st.Module {
    override forward(x: st.Tensor): st.Tensor {
      return x.mul(2);
    }
  }

  it('runs it on the main thread with a warning and serves it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const module = st.models.setDefaultInputShape(new Doubler(), [2]);
    const server = await st.serve({ models: [{ name: 'double', module }], port: 0, mainThreadMacs: 0 });
    try {
      const r = await postJson(`${server.url}/v2/models/double/infer`, inferBody([1, 2], [1.5, -4]));
      assert.deepEqual(((await r.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [3, -8]);
      await new Promise((res) => setImmediate(res));
      assert.ok(
        warnings.some((w) =>
          /model 'double' runs on the main thread: .*Doubler cannot run in a worker thread/.test(w),
        ),
        warnings.join('\n'),
      );
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  });
});

describe('stride serve with API keys', () => {
  let server: st.InferenceServer;
  before(async () => {
    server = await st.serve({
      models: [{ name: 'hand', module: handModel() }],
      port: 0,
      apiKeys: ['key-one-12345', 'key-two-67890'],
      rateLimit: 2,
      workerThreads: false,
    });
  });
  after(() => server.close());

  it('requires a valid bearer key on model routes and limits each key', async () => {
    const inf = `${server.url}/v2/models/hand/infer`;
    const body = inferBody([1, 1, 2, 2], [1, 1, 1, 1]);
    const none = await postJson(inf, body);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { error: string }).error, /API key is required/);
    const bad = await postJson(inf, body, { authorization: 'Bearer key-three-000' });
    assert.equal(bad.status, 401);
    assert.deepEqual(await bad.json(), { error: 'the API key is not valid' });
    assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
    // A burst of 2, then the bucket is empty for this key; the other key has its own.
    const auth = { authorization: 'Bearer key-one-12345' };
    const ok = await postJson(inf, body, auth);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ((await ok.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data,
      handAnswer([1, 1, 1, 1]),
    );
    assert.equal((await postJson(inf, body, auth)).status, 200);
    const limited = await postJson(inf, body, auth);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.match(((await limited.json()) as { error: string }).error, /rate limit/);
    assert.equal((await postJson(inf, body, { authorization: 'Bearer key-two-67890' })).status, 200);
  });
});

describe('stride serve (command line)', () => {
  it('serves until SIGTERM, then answers the request in flight and exits 0', async () => {
    const { child, url, output } = await startServeCli([
      'lenet5',
      '--port',
      '0',
      '--batch-delay-ms',
      '300',
      '--in-thread',
    ]);
    assert.match(output(), /serving lenet5 version 1: input \[1, 32, 32\] -> output \[10\]/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const pending = postJson(
      `${url}/v2/models/lenet5/infer`,
      inferBody([1, 1, 32, 32], new Array(1024).fill(0.5)),
    );
    await untilQueued(url, 'lenet5');
    child.kill('SIGTERM');
    const r = await pending;
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(await exited, 0, output());
    assert.match(output(), /SIGTERM: finishing the requests in flight/);
  });
});
