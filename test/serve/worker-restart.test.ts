// A crashed inference worker over real HTTP on loopback: a real worker thread that exits in the
// middle of a forward pass (a layer that calls process.exit(7) there, loaded into every worker
// thread through STRIDE_WORKER_IMPORT). The request it held gets a 503 JSON error saying so, the
// server and the model's ready endpoints say not ready until the restarted thread is up, then the
// model answers again (its hand-worked answers), and /metrics counts the restart.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { startModelRunner } from '../../src/serve/model-runner-node.js';
import { prepareServedModel } from '../../src/serve/served-model.js';
import { WORKER_IMPORT_ENV } from '../../src/worker/start-worker-node.js';
import { CrashInWorker, EXIT_INPUT } from './crash-in-worker-layer.js';
import { handAnswer, inferBody, postJson } from './serve-helpers.js';

/** The hand-worked model of serve-helpers behind a CrashInWorker layer. */
function crashyModel(): st.Sequential {
  const lin = new st.Linear(4, 3);
  lin.weight.data.set([1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1]);
  lin.bias!.data.set([0, 0, 0.5]);
  return st.models.setDefaultInputShape(
    new st.Sequential(new CrashInWorker(), new st.Flatten(), lin),
    [1, 2, 2],
  );
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('stride serve: a crashed inference worker is restarted', () => {
  let server: st.InferenceServer;
  let infer: (data: number[]) => Promise<Response>;
  const saved = process.env[WORKER_IMPORT_ENV];
  before(async () => {
    process.env[WORKER_IMPORT_ENV] = fileURLToPath(new URL('./crash-in-worker-layer.ts', import.meta.url));
    server = await st.serve({
      models: [{ name: 'crashy', module: crashyModel() }],
      port: 0,
      mainThreadMacs: 0,
      restartDelayMs: 200,
    });
    infer = (data) => postJson(`${server.url}/v2/models/crashy/infer`, inferBody([1, 1, 2, 2], data));
  });
  after(async () => {
    if (saved === undefined) delete process.env[WORKER_IMPORT_ENV];
    else process.env[WORKER_IMPORT_ENV] = saved;
    await server?.close();
  });

  it('fails the held request with a 503, is not ready until back, then answers again', async () => {
    const ok = await infer([1, 2, 3, 4]);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ((await ok.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data,
      handAnswer([1, 2, 3, 4]),
    );

    const crashed = await infer([EXIT_INPUT, 0, 0, 0]);
    assert.equal(crashed.status, 503);
    assert.match(crashed.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(Number(crashed.headers.get('retry-after')) >= 1);
    const { error } = (await crashed.json()) as { error: string };
    assert.match(error, /inference worker of model 'crashy' crashed .*exit code 7.*restarted/);
    assert.doesNotMatch(error, /\/|at /, 'no paths or stack frames in the answer');

    // Until the new thread is up: not ready, requests refused with Retry-After, liveness fine.
    assert.equal(await status(`${server.url}/v2/health/ready`), 503);
    assert.equal(await status(`${server.url}/v2/models/crashy/ready`), 503);
    assert.equal(await status(`${server.url}/v2/health/live`), 200);
    const refused = await infer([1, 2, 3, 4]);
    assert.equal(refused.status, 503);
    assert.match(((await refused.json()) as { error: string }).error, /restarting its inference worker/);

    const deadline = Date.now() + 30_000;
    while ((await status(`${server.url}/v2/health/ready`)) !== 200) {
      assert.ok(Date.now() < deadline, 'the worker thread was not back within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await status(`${server.url}/v2/models/crashy/ready`), 200);
    const again = await infer([5, 6, 7, 8]);
    assert.equal(again.status, 200);
    assert.deepEqual(
      ((await again.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data,
      handAnswer([5, 6, 7, 8]),
    );

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /stride_worker_restarts_total\{model="crashy"\} 1\b/);
  });
});

describe('startModelRunner: where a model runs', () => {
  const warn = (m: string): void => assert.fail(`unexpected warning: ${m}`);
  const lenet = (): ReturnType<typeof prepareServedModel> =>
    prepareServedModel(st.models.lenet5(), { name: 'lenet', version: '1', source: 'test' });

  it('runs a model under mainThreadMacs (LeNet-5: 0.42 M) on the main thread, a bigger one in a worker', async () => {
    const opts = { workerThreads: true, restartDelayMs: 100, warn };
    const small = await startModelRunner(lenet(), { ...opts, mainThreadMacs: 1_000_000 });
    assert.equal(small.where, 'main thread');
    const model = lenet();
    const big = await startModelRunner(model, { ...opts, mainThreadMacs: 400_000 });
    try {
      assert.equal(big.where, 'worker thread');
      assert.equal(big.ready, true);
      const x = st.rand([2, 1, 32, 32]);
      const want = st.noGrad(() => model.module.forward(x));
      assert.deepEqual(Array.from((await big.run(x)).data), Array.from(want.data));
    } finally {
      await big.close();
    }
  });
});
