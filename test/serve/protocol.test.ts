// The Open Inference Protocol over real HTTP (fetch against a server on a free loopback port):
// every endpoint, every error case answered with a 4xx JSON error while the server keeps serving.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import {
  cardedColourModel,
  colourModel,
  handAnswer,
  handModel,
  inferBody,
  pngBomb,
  postJson,
} from './serve-helpers.js';

/** Assert a JSON error with `status`, no stack trace and no file path in it. */
async function assertError(res: Response, status: number, pattern?: RegExp): Promise<string> {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${await res.clone().text()}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as { error: string };
  assert.equal(typeof body.error, 'string');
  assert.doesNotMatch(body.error, /\bat .*:\d+:\d+|\/work\/|\/tmp\/|node_modules/);
  if (pattern) assert.match(body.error, pattern);
  return body.error;
}

describe('stride serve: Open Inference Protocol', () => {
  let server: st.InferenceServer;
  let url: string;
  before(async () => {
    server = await st.serve({
      models: [
        { name: 'hand', module: handModel() },
        { name: 'colour', module: colourModel(), classNames: ['red', 'green', 'blue'] },
        { name: 'carded', module: cardedColourModel() },
      ],
      port: 0,
      bodyLimit: 64 * 1024,
      maxPixels: 1_000_000,
      maxRequestSamples: 16,
      // Worker threads are exercised in load.test.ts; here the forward passes run in-thread.
      workerThreads: false,
    });
    url = server.url;
  });
  after(() => server.close());

  const live = async (): Promise<void> => {
    const r = await fetch(`${url}/v2/health/live`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { live: true });
  };

  it('answers health, server metadata and model readiness', async () => {
    await live();
    assert.deepEqual(await (await fetch(`${url}/v2/health/ready`)).json(), { ready: true });
    const meta = (await (await fetch(`${url}/v2`)).json()) as { name: string };
    assert.equal(meta.name, 'stride');
    const r = await fetch(`${url}/v2/models/hand/ready`);
    assert.deepEqual(await r.json(), { name: 'hand', ready: true });
    assert.equal((await fetch(`${url}/v2/models/hand/versions/1/ready`)).status, 200);
  });

  it('describes a model: inputs and outputs with name, datatype and shape', async () => {
    const want = {
      name: 'hand',
      versions: ['1'],
      platform: 'stride',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 2, 2] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }],
    };
    assert.deepEqual(await (await fetch(`${url}/v2/models/hand`)).json(), want);
    assert.deepEqual(await (await fetch(`${url}/v2/models/hand/versions/1`)).json(), want);
  });

  it('infers: the hand-worked answers, flat or nested data, id echoed', async () => {
    const a = [1, 2, 3, 4];
    const b = [-1, 0.25, 0, 8];
    const r = await postJson(
      `${url}/v2/models/hand/infer`,
      inferBody([2, 1, 2, 2], [...a, ...b], { id: 'req-7' }),
    );
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {
      model_name: 'hand',
      model_version: '1',
      id: 'req-7',
      outputs: [
        { name: 'output', datatype: 'FP32', shape: [2, 3], data: [...handAnswer(a), ...handAnswer(b)] },
      ],
    });
    const nested = await postJson(
      `${url}/v2/models/hand/versions/1/infer`,
      inferBody([1, 1, 2, 2], [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ] as never),
    );
    const body = (await nested.json()) as { outputs: { data: number[] }[] };
    assert.deepEqual(body.outputs[0]!.data, handAnswer(a));
  });

  it('refuses bad infer requests with 4xx JSON errors and keeps serving', async () => {
    const inf = `${url}/v2/models/hand/infer`;
    await assertError(
      await postJson(`${url}/v2/models/nope/infer`, inferBody([1, 1, 2, 2], [1, 2, 3, 4])),
      404,
      /unknown model 'nope'/,
    );
    await assertError(await fetch(`${url}/v2/models/nope`), 404);
    await assertError(await fetch(`${url}/v2/models/hand/versions/9`), 404, /no version '9'/);
    await assertError(await postJson(inf, inferBody([1, 2, 2], [1, 2, 3, 4])), 400, /shape \[N, 1, 2, 2\]/);
    await assertError(await postJson(inf, inferBody([1, 1, 2, 3], [1, 2, 3, 4, 5, 6])), 400, /shape/);
    await assertError(await postJson(inf, inferBody([17, 1, 2, 2], new Array(68).fill(0))), 400, /N <= 16/);
    await assertError(await postJson(inf, inferBody([0, 1, 2, 2], [])), 400, /shape/);
    await assertError(
      await postJson(inf, inferBody([1, 1, 2, 2], [1, 2, 3])),
      400,
      /has 3 values but its shape \[1, 1, 2, 2\] holds 4/,
    );
    await assertError(
      await postJson(inf, inferBody([1, 1, 2, 2], [1, 2, 3, 4, 5])),
      400,
      /more than the 4 values/,
    );
    await assertError(await postJson(inf, inferBody([1, 1, 2, 2], [1, 2, '3', 4])), 400, /only numbers/);
    await assertError(
      await postJson(inf, {
        inputs: [{ name: 'input', shape: [1, 1, 2, 2], datatype: 'INT64', data: [1, 2, 3, 4] }],
      }),
      400,
      /datatype FP32, got "INT64"/,
    );
    await assertError(
      await postJson(inf, {
        inputs: [{ name: 'x', shape: [1, 1, 2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }],
      }),
      400,
      /unknown input "x".*named 'input'/,
    );
    await assertError(await postJson(inf, { inputs: [] }), 400, /exactly one tensor/);
    await assertError(await postJson(inf, '{"inputs": [1,'), 400, /JSON/);
    await assertError(await postJson(inf, '[]'), 400);
    await assertError(
      await postJson(inf, inferBody([1, 1, 2, 2], [1, 2, 3, 4], { outputs: [{ name: 'logits' }] })),
      400,
      /only request 'output'/,
    );
    await assertError(
      await fetch(inf, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }),
      415,
    );
    const big = JSON.stringify(inferBody([16, 1, 2, 2], new Array(64).fill(0.123456789))).padEnd(
      70 * 1024,
      ' ',
    );
    await assertError(await postJson(inf, big), 413);
    await assertError(await fetch(`${url}/v2/nothing`), 404, /no route GET \/v2\/nothing/);
    await live();
  });

  it('classifies a PNG, a JPEG and a multipart upload with the class names', async () => {
    const red = await sharp({
      create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } },
    })
      .png()
      .toBuffer();
    const r = await fetch(`${url}/v2/models/colour/classify?top_k=2`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: red,
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { predictions: { label: string; index: number; score: number }[] };
    // Logits [10, 0, 0]: softmax gives e^10 / (e^10 + 2) for red.
    assert.deepEqual(
      body.predictions.map((p) => p.label),
      ['red', 'green'],
    );
    assert.ok(Math.abs(body.predictions[0]!.score - Math.exp(10) / (Math.exp(10) + 2)) < 1e-6);
    const blue = await sharp({
      create: { width: 20, height: 10, channels: 3, background: { r: 0, g: 0, b: 255 } },
    })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append('image', new Blob([blue], { type: 'image/jpeg' }), 'blue.jpg');
    const m = await fetch(`${url}/v2/models/colour/versions/1/classify`, { method: 'POST', body: form });
    assert.equal(m.status, 200);
    const mb = (await m.json()) as { predictions: { label: string }[] };
    assert.equal(mb.predictions[0]!.label, 'blue');
    assert.equal(mb.predictions.length, 3);
  });

  it("applies the model card's preprocessing and class names", async () => {
    const green = await sharp({
      create: { width: 6, height: 6, channels: 3, background: { r: 0, g: 255, b: 0 } },
    })
      .webp({ lossless: true })
      .toBuffer();
    const r = await fetch(`${url}/v2/models/carded/classify`, {
      method: 'POST',
      headers: { 'content-type': 'image/webp' },
      body: green,
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { predictions: { label: string; score: number }[] };
    // mean 0.5, std 0.5 map the channels to [-1, 1, -1]: logits [-10, 10, -10].
    assert.equal(body.predictions[0]!.label, 'G');
    assert.ok(
      Math.abs(body.predictions[0]!.score - Math.exp(10) / (Math.exp(10) + 2 * Math.exp(-10))) < 1e-9,
    );
  });

  it('refuses non-images, truncated JPEGs and pixel bombs before decoding them', async () => {
    const cls = `${url}/v2/models/colour/classify`;
    const send = (body: Buffer, type = 'image/jpeg'): Promise<Response> =>
      fetch(cls, { method: 'POST', headers: { 'content-type': type }, body });
    await assertError(await send(Buffer.from('definitely not an image')), 400, /not a readable image/);
    // A noisy photo-sized JPEG, so that half of it still has a complete header.
    const noise = Buffer.from(Array.from({ length: 128 * 128 * 3 }, (_, i) => (i * 7919) % 251));
    const jpeg = await sharp(noise, { raw: { width: 128, height: 128, channels: 3 } })
      .jpeg()
      .toBuffer();
    await assertError(
      await send(jpeg.subarray(0, Math.floor(jpeg.length / 2))),
      400,
      /could not be decoded: truncated JPEG/,
    );
    await assertError(
      await send(pngBomb(100_000, 100_000), 'image/png'),
      413,
      /100000x100000 .* at most 1000000 pixels/,
    );
    const gif = await sharp({
      create: { width: 4, height: 4, channels: 3, background: { r: 1, g: 2, b: 3 } },
    })
      .gif()
      .toBuffer();
    await assertError(await send(gif, 'image/gif'), 415);
    await assertError(await send(gif, 'application/octet-stream'), 415, /unsupported image format 'gif'/);
    await assertError(
      await fetch(`${cls}?top_k=0`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: jpeg }),
      400,
      /top_k/,
    );
    await live();
  });

  it('survives random bodies: every answer is 200 or a 4xx JSON error', async () => {
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const values = [0, -1, 1.5, 'a', null, true, [], {}, [1, 2], 1e308, -0];
    const randomJson = (depth: number): unknown => {
      if (depth > 3 || rnd() < 0.3) return pick(values);
      if (rnd() < 0.5) return Array.from({ length: Math.floor(rnd() * 5) }, () => randomJson(depth + 1));
      const keys = [
        'inputs',
        'name',
        'shape',
        'datatype',
        'data',
        'id',
        'outputs',
        '__proto__',
        'constructor',
      ];
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(keys), randomJson(depth + 1)]),
      );
    };
    const bodies: [string, string, Buffer | string][] = [];
    for (let i = 0; i < 150; i++) {
      const route = pick([
        '/v2/models/hand/infer',
        '/v2/models/colour/classify',
        '/v2/models/hand/versions/1/infer',
      ]);
      const kind = rnd();
      if (kind < 0.4) bodies.push([route, 'application/json', JSON.stringify(randomJson(0))]);
      else if (kind < 0.6)
        bodies.push([
          route,
          'application/json',
          JSON.stringify(
            inferBody(
              [1, 1, 2, 2].map((d) => (rnd() < 0.2 ? d + 1 : d)),
              Array.from({ length: rnd() < 0.8 ? 4 : 3 }, () => rnd()),
            ),
          ),
        ]);
      else
        bodies.push([
          route,
          pick(['image/png', 'image/jpeg', 'application/octet-stream', 'multipart/form-data; boundary=x']),
          Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256))),
        ]);
    }
    for (const [route, type, body] of bodies) {
      const r = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.ok(
        r.status === 200 || (r.status >= 400 && r.status < 500),
        `${route} ${type}: status ${r.status}`,
      );
      const j = (await r.json()) as Record<string, unknown>;
      if (r.status !== 200) assert.equal(typeof j['error'], 'string');
    }
    await live();
  });

  it('serves Prometheus metrics and an OpenAPI document', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(
      text,
      /stride_http_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="200"\} \d+/,
    );
    assert.match(
      text,
      /stride_http_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="400"\} \d+/,
    );
    assert.match(text, /stride_http_request_duration_seconds_bucket/);
    assert.match(text, /stride_batch_size_count\{model="hand"\} \d+/);
    assert.match(text, /stride_queue_depth\{model="hand"\} 0/);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/v2/models/{name}/infer']);
    assert.ok(doc.paths['/v2/models/{name}/classify']);
  });
});

describe('stride serve: a model repository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-serve-repo-'));
  let server: st.InferenceServer;
  before(async () => {
    // Triton's layout: <repo>/<name>/<version>/<model file>; version 1 a Stride file, version 2 ONNX.
    mkdirSync(join(dir, 'hand', '1'), { recursive: true });
    mkdirSync(join(dir, 'hand', '2'), { recursive: true });
    mkdirSync(join(dir, 'hand', '3'), { recursive: true });
    st.save(handModel(), join(dir, 'hand', '1', 'model.safetensors'));
    // Version 3: a Stride model folder inside the version folder.
    st.save(handModel(), join(dir, 'hand', '3', 'model'));
    writeFileSync(join(dir, 'hand', '2', 'model.onnx'), st.exportOnnx(handModel(), st.zeros([1, 1, 2, 2])));
    writeFileSync(join(dir, 'hand', 'labels.txt'), 'first\nsecond\nsum\n');
    server = await st.serve({ models: [dir], port: 0, inputShape: [1, 2, 2], workerThreads: false });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every version; the name alone means the latest', async () => {
    const meta = (await (await fetch(`${server.url}/v2/models/hand`)).json()) as { versions: string[] };
    assert.deepEqual(meta.versions, ['1', '2', '3']);
    for (const path of [
      '/v2/models/hand/versions/1/infer',
      '/v2/models/hand/versions/2/infer',
      '/v2/models/hand/versions/3/infer',
      '/v2/models/hand/infer',
    ]) {
      const r = await postJson(`${server.url}${path}`, inferBody([1, 1, 2, 2], [4, 3, 2, 1]));
      const body = (await r.json()) as { model_version: string; outputs: { data: number[] }[] };
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.deepEqual(body.outputs[0]!.data, handAnswer([4, 3, 2, 1]));
      assert.equal(body.model_version, /versions\/(\d)/.exec(path)?.[1] ?? '3');
    }
    assert.deepEqual(
      server.models.map((m) => m.classNames),
      [
        ['first', 'second', 'sum'],
        ['first', 'second', 'sum'],
        ['first', 'second', 'sum'],
      ],
    );
  });

  it('refuses a path that holds no model, before listening', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'stride-serve-empty-'));
    await assert.rejects(
      st.serve({ models: [empty], port: 0 }),
      /neither a model folder nor a model repository/,
    );
    await assert.rejects(
      st.serve({ models: ['no-such-model'], port: 0 }),
      /neither an existing model file or folder, a zoo model .* nor a pretrained model/,
    );
    rmSync(empty, { recursive: true, force: true });
  });
});
