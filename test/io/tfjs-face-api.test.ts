import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { loadFaceRecognitionNet, loadTfjsWeights } from '../../src/node-io.js';
import { assertClose } from '../helpers/assert-close.js';
import { haveSkimage, packageDir, photo } from './helpers/npm-models.js';

const root = packageDir('@vladmandic/face-api');
const skip = !root
  ? '@vladmandic/face-api is not installed (npm install -D @vladmandic/face-api @tensorflow/tfjs @tensorflow/tfjs-backend-wasm)'
  : !haveSkimage()
    ? 'the sample photos are missing (apt-get install python3-skimage)'
    : false;

interface FaceApi {
  tf: {
    setBackend(b: string): Promise<boolean>;
    ready(): Promise<void>;
    io: { decodeWeights(d: ArrayBuffer, s: unknown[]): unknown };
    tensor4d(v: Float32Array, s: number[]): unknown;
  };
  nets: {
    faceRecognitionNet: {
      loadFromWeightMap(m: unknown): Promise<void>;
      computeFaceDescriptor(x: unknown): Promise<Float32Array>;
    };
  };
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.hypot(...Array.from(a, (v, i) => v - b[i]!));

test(
  "face-api's face recognition net (128-D descriptors) gives face-api's descriptors on real faces",
  { skip },
  async () => {
    const manifest = join(root!, 'model', 'face_recognition_model-weights_manifest.json');
    const net = loadFaceRecognitionNet(manifest);
    assert.equal(net.numParameters(), 5_614_592 - 0, 'convolutions, scale layers and the 256x128 projection');

    // face-api itself, on @tensorflow/tfjs (its Node build that brings its own backends; the CPU one is used).
    const faceapi = createRequire(import.meta.url)(
      '@vladmandic/face-api/dist/face-api.node-wasm.js',
    ) as FaceApi;
    await faceapi.tf.setBackend('cpu');
    await faceapi.tf.ready();
    const { readFileSync } = await import('node:fs');
    const specs = (JSON.parse(readFileSync(manifest, 'utf8')) as { weights: unknown[] }[]).flatMap(
      (g) => g.weights,
    );
    const bin = readFileSync(join(root!, 'model', 'face_recognition_model.bin'));
    await faceapi.nets.faceRecognitionNet.loadFromWeightMap(
      faceapi.tf.io.decodeWeights(new Uint8Array(bin).buffer, specs),
    );

    const faces = await Promise.all([
      photo('astronaut.png', 150, 1, { left: 170, top: 40, width: 140, height: 150 }),
      photo('astronaut.png', 150, 1, { left: 160, top: 30, width: 150, height: 160 }),
      photo('camera.png', 150, 1, { left: 175, top: 60, width: 120, height: 120 }),
    ]);
    const ours = faces.map((f) => st.noGrad(() => net.forward(f.nchw)));
    for (const [i, f] of faces.entries()) {
      const theirs = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(
        faceapi.tf.tensor4d(f.nhwc, [1, 150, 150, 3]),
      );
      assertClose(ours[i]!, Array.from(theirs), { atol: 1e-5, rtol: 1e-4, msg: `face ${i}` });
    }
    // The same person's two crops are closer than face-api's match threshold (0.6); another person is not.
    const same = distance(ours[0]!.data, ours[1]!.data);
    const other = distance(ours[0]!.data, ours[2]!.data);
    assert.ok(same < 0.6 && other > same, `same ${same.toFixed(3)}, other ${other.toFixed(3)}`);
    // The raw weights decode the same way for both.
    assert.equal(loadTfjsWeights(manifest).get('fc')!.shape.join('x'), '256x128');
  },
);
