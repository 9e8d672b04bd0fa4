// Detectors under load, over real HTTP on loopback: /detect runs st.detectImage in a worker thread
// holding its own copy of the detector (health checks answer meanwhile), through the same bounded
// per-model queue as the other models (503 + Retry-After when full, 504 past the timeout), with
// its queue depth and run times in /metrics; every answer equals st.detectImage on the same photo.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { packageDir } from '../io/helpers/npm-models.js';

const DOG = '/usr/share/darknet/data/dog.jpg';
const skip =
  packageDir('@vladmandic/human') === null
    ? '@vladmandic/human is not installed (npm install -D @vladmandic/human)'
    : !existsSync(DOG)
      ? 'the darknet sample photos are missing (apt-get install darknet)'
      : false;

interface DetectBody {
  detections: { label: string; score: number; box: readonly number[] }[];
}

function postDog(url: string): Promise<Response> {
  return fetch(`${url}/v2/models/centernet/detect`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: readFileSync(DOG),
  });
}

describe('stride serve: /detect in a worker thread behind the bounded queue', { skip }, () => {
  let server: st.InferenceServer;
  let expected: DetectBody['detections'];
  before(async () => {
    server = await st.serve({ models: ['centernet'], port: 0, queueLimit: 1 });
    const lib = await st.detectImage(st.loadDetector('centernet'), DOG);
    expected = lib.detections.map((d) => ({ label: d.className, score: d.score, box: d.box }));
  });
  after(() => server?.close());

  it('answers health checks while a detection runs, and the answer is st.detectImage', async () => {
    let detectDone = false;
    const started = performance.now();
    const detect = postDog(server.url).then((r) => {
      detectDone = true;
      return r;
    });
    // The client shares the server's event loop: the longest wait between two answers is how long
    // that loop was blocked.
    let answeredWhileBusy = 0;
    let longestGap = 0;
    let last = started;
    while (!detectDone) {
      const r = await fetch(`${server.url}/v2/health/live`);
      assert.equal(r.status, 200);
      longestGap = Math.max(longestGap, performance.now() - last);
      last = performance.now();
      if (!detectDone) answeredWhileBusy++;
      await new Promise((res) => setTimeout(res, 5));
    }
    const res = await detect;
    const took = performance.now() - started;
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(((await res.json()) as DetectBody).detections, expected);
    // CenterNet takes a few hundred ms on dog.jpg, most of it in its forward pass: on the main
    // thread the loop stops for that whole pass.
    const seen = `health answered ${answeredWhileBusy} times during the ${took.toFixed(0)} ms detection, at most ${longestGap.toFixed(0)} ms apart`;
    assert.ok(answeredWhileBusy >= 3, seen);
    assert.ok(longestGap < took / 4, seen);
  });

  it('refuses detections over the queue limit with 503 and Retry-After, and keeps serving', async () => {
    // One runs, one waits (queue limit 1): the rest arrive while the first runs and are refused.
    const answers = await Promise.all(Array.from({ length: 5 }, () => postDog(server.url)));
    const statuses = answers.map((r) => r.status);
    const refused = answers.filter((r) => r.status === 503);
    assert.ok(refused.length >= 1, `statuses ${statuses}`);
    assert.ok(statuses.filter((s) => s === 200).length >= 2, `statuses ${statuses}`);
    assert.deepEqual(
      statuses.filter((s) => s !== 200 && s !== 503),
      [],
    );
    for (const r of refused) {
      assert.equal(r.headers.get('retry-after'), '1');
      assert.match(((await r.json()) as { error: string }).error, /server is busy/);
    }
    for (const r of answers.filter((a) => a.status === 200)) {
      assert.deepEqual(((await r.json()) as DetectBody).detections, expected);
    }
    const again = await postDog(server.url);
    assert.equal(again.status, 200);
    assert.deepEqual(((await again.json()) as DetectBody).detections, expected);
    assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
  });

  it('answers a photo that only its worker thread finds corrupt with a 400, and keeps serving', async () => {
    // A PNG whose header is whole (the server's own check passes) but whose pixel data stops.
    const png = await sharp(DOG).png().toBuffer();
    const res = await fetch(`${server.url}/v2/models/centernet/detect`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png.subarray(0, Math.floor(png.length * 0.6)),
    });
    assert.equal(res.status, 400, await res.clone().text());
    assert.match(((await res.json()) as { error: string }).error, /could not be decoded: .*corrupt/);
    assert.equal((await postDog(server.url)).status, 200);
  });

  it('reports the detector in the queue-depth and batch metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /stride_queue_depth\{model="centernet"\} 0/);
    const runs = /stride_batch_duration_seconds_count\{model="centernet"\} (\d+)/.exec(text);
    // Detections that answered: the first test's, the second's two or more and the one after them,
    // the third's last (its corrupt photo failed).
    assert.ok(runs && Number(runs[1]) >= 5, text);
    assert.match(
      text,
      /stride_http_request_duration_seconds_count\{route="\/v2\/models\/:name\/detect"\} \d+/,
    );
  });
});

describe('stride serve: a detection past the request timeout', { skip }, () => {
  let server: st.InferenceServer;
  before(async () => {
    server = await st.serve({ models: ['centernet'], port: 0, timeoutMs: 20 });
  });
  after(() => server?.close());

  it('gets 504 and the server keeps serving', async () => {
    const res = await postDog(server.url);
    assert.equal(res.status, 504, await res.clone().text());
    assert.match(((await res.json()) as { error: string }).error, /not answered within 20 ms/);
    assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
  });
});

describe('stride serve: a Detector object given in code', { skip }, () => {
  it('runs on the main thread with a warning, through the queue, and answers as st.detectImage', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const detector = st.loadDetector('centernet');
    const server = await st.serve({ models: [{ name: 'mine', detector }], port: 0 });
    try {
      const res = await fetch(`${server.url}/v2/models/mine/detect`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: readFileSync(DOG),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const lib = await st.detectImage(detector, DOG);
      assert.deepEqual(
        ((await res.json()) as DetectBody).detections,
        lib.detections.map((d) => ({ label: d.className, score: d.score, box: d.box })),
      );
      await new Promise((res) => setImmediate(res));
      assert.ok(
        warnings.some((w) => /detector 'mine' runs on the main thread/.test(w)),
        warnings.join('\n'),
      );
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /stride_batch_duration_seconds_count\{model="mine"\} 1/);
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  });
});
