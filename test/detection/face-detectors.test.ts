import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { packageDir } from '../io/helpers/npm-models.js';

const root = packageDir('@vladmandic/face-api');
const skip = root
  ? false
  : '@vladmandic/face-api is not installed (npm install -D @vladmandic/face-api @tensorflow/tfjs)';

interface FaceApiBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface FaceApi {
  tf: {
    setBackend(b: string): Promise<boolean>;
    ready(): Promise<void>;
    io: { decodeWeights(d: ArrayBuffer, s: unknown[]): unknown };
    tensor4d(v: Float32Array, s: number[]): unknown;
  };
  nets: {
    tinyFaceDetector: {
      loadFromWeightMap(m: unknown): Promise<void>;
      locateFaces(x: unknown, o: unknown): Promise<{ score: number; box: FaceApiBox }[]>;
    };
    ssdMobilenetv1: {
      loadFromWeightMap(m: unknown): Promise<void>;
      locateFaces(x: unknown, o: unknown): Promise<{ score: number; box: FaceApiBox }[]>;
    };
  };
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => unknown;
}

/** A face-api demo photo resized to size x size: NHWC for tfjs, NCHW for Stride, values 0..255. */
async function demoPhoto(file: string, size: number) {
  const { data } = await sharp(join(root!, 'demo', file))
    .removeAlpha()
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const nhwc = Float32Array.from(data);
  const nchw = st.permute(new st.Tensor(nhwc.slice(), [1, size, size, 3]), [0, 3, 1, 2]).clone();
  return { nhwc, nchw };
}

async function faceApiWith(net: 'tinyFaceDetector' | 'ssdMobilenetv1', model: string): Promise<FaceApi> {
  const faceapi = createRequire(import.meta.url)(
    '@vladmandic/face-api/dist/face-api.node-wasm.js',
  ) as FaceApi;
  // face-api's own tfjs, on its WebAssembly backend (its CPU backend takes minutes on these photos).
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const manifest = join(root!, 'model', `${model}-weights_manifest.json`);
  const specs = (JSON.parse(readFileSync(manifest, 'utf8')) as { weights: unknown[] }[]).flatMap(
    (g) => g.weights,
  );
  const bin = readFileSync(join(root!, 'model', `${model}.bin`));
  await faceapi.nets[net].loadFromWeightMap(faceapi.tf.io.decodeWeights(new Uint8Array(bin).buffer, specs));
  return faceapi;
}

describe("face-api's detectors run by Stride give face-api's boxes and scores", { skip }, () => {
  it('ssd_mobilenetv1 on the demo photos', async () => {
    const det = st.loadSsdMobilenetFace();
    const byName = st.loadDetector('ssd-face');
    assert.deepEqual([byName.inputSize, byName.classNames, byName.fit], [512, ['face'], 'pad']);
    const faceapi = await faceApiWith('ssdMobilenetv1', 'ssd_mobilenetv1_model');
    let total = 0;
    for (const file of ['sample1.jpg']) {
      const img = await demoPhoto(file, 512);
      const theirs = await faceapi.nets.ssdMobilenetv1.locateFaces(
        faceapi.tf.tensor4d(img.nhwc, [1, 512, 512, 3]),
        new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }),
      );
      // The detector itself, and the same weights by name through st.loadDetector (what
      // `stride detect ssd-face` and `stride serve ssd-face` use).
      for (const ours of [det.detect(img.nchw), byName.detect(img.nchw)]) {
        assert.equal(ours.boxes.length, theirs.length, `${file}: number of faces`);
        theirs.forEach((t, i) => {
          assertClose(ours.scores[i]!, [t.score], { atol: 1e-4, msg: `${file} score ${i}` });
          const b = t.box;
          assertClose(ours.boxes[i]!, [b.x, b.y, b.x + b.width, b.y + b.height], {
            atol: 0.05,
            msg: `${file} box ${i}`,
          });
        });
      }
      total += theirs.length;
    }
    assert.ok(total >= 3, `found ${total} faces`);
  });

  it('tiny_face_detector on the demo photos', async () => {
    const det = st.loadTinyFaceDetector();
    const faceapi = await faceApiWith('tinyFaceDetector', 'tiny_face_detector_model');
    let total = 0;
    for (const file of ['sample1.jpg', 'sample2.jpg']) {
      const size = 416;
      const img = await demoPhoto(file, size);
      const [ours] = det.detect(img.nchw, { scoreThreshold: 0.5 });
      const theirs = await faceapi.nets.tinyFaceDetector.locateFaces(
        faceapi.tf.tensor4d(img.nhwc, [1, size, size, 3]),
        new faceapi.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: 0.5 }),
      );
      assert.equal(ours!.boxes.length, theirs.length, `${file}: number of faces`);
      const order = theirs.map((_, i) => i).sort((a, b) => theirs[b]!.score - theirs[a]!.score);
      order.forEach((j, i) => {
        const b = theirs[j]!.box;
        assertClose(ours!.scores[i]!, [theirs[j]!.score], { atol: 1e-4, msg: `${file} score ${i}` });
        assertClose(ours!.boxes[i]!, [b.x, b.y, b.x + b.width, b.y + b.height], {
          atol: 0.05,
          msg: `${file} box ${i}`,
        });
      });
      total += theirs.length;
    }
    assert.ok(total >= 2, `found ${total} faces`);
  });
});
