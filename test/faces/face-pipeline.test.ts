// The face pipeline run by Stride against face-api's own tfjs code (detectAllFaces ->
// withFaceLandmarks -> withFaceDescriptors on the CPU backend) on skimage's astronaut photo: the
// same box, score, 68 landmarks and 128-D descriptor within float32 tolerance. Then identity on
// face-api's demo photos: one woman photographed twice is closer than any two different people,
// and the errors for a photo without a face, a non-image file and an empty gallery.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { facesCommand } from '../../src/cli/commands/faces.js';
import { assertClose } from '../helpers/assert-close.js';
import { haveSkimage, packageDir, SKIMAGE_DATA } from '../io/helpers/npm-models.js';

const root = packageDir('@vladmandic/face-api');
const skip = !root
  ? '@vladmandic/face-api is not installed (npm install -D @vladmandic/face-api @tensorflow/tfjs)'
  : !haveSkimage()
    ? 'the sample photos are missing (apt-get install python3-skimage)'
    : false;
const demo = (k: number) => join(root ?? '', 'demo', `sample${k}.jpg`);

interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: { x: number; y: number }[] };
  descriptor: Float32Array;
}

describe('face pipeline', { skip }, () => {
  it("gives face-api's boxes, landmarks and descriptors on the astronaut photo", async () => {
    const image = await st.readImage(join(SKIMAGE_DATA, 'astronaut.png'));
    const ours = await st.faces.describe(image);

    const faceapi = createRequire(import.meta.url)('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
      tf: {
        setBackend(b: string): Promise<boolean>;
        ready(): Promise<void>;
        io: { decodeWeights(d: ArrayBuffer, s: unknown[]): unknown };
        tensor3d(v: Float32Array, s: number[]): unknown;
      };
      nets: Record<string, { loadFromWeightMap(m: unknown): Promise<void> }>;
      SsdMobilenetv1Options: new () => unknown;
      detectAllFaces(
        t: unknown,
        o: unknown,
      ): { withFaceLandmarks(): { withFaceDescriptors(): Promise<FaceApiResult[]> } };
    };
    // tfjs' WebAssembly backend (bundled in face-api's node-wasm build): the CPU one is 8x slower.
    assert.ok(await faceapi.tf.setBackend('wasm'), "tfjs' wasm backend starts");
    await faceapi.tf.ready();
    const dir = st.faceApiModelDir();
    for (const [net, name] of [
      ['ssdMobilenetv1', 'ssd_mobilenetv1_model'],
      ['faceLandmark68Net', 'face_landmark_68_model'],
      ['faceRecognitionNet', 'face_recognition_model'],
    ] as const) {
      const specs = (
        JSON.parse(readFileSync(join(dir, `${name}-weights_manifest.json`), 'utf8')) as {
          weights: unknown[];
        }[]
      ).flatMap((g) => g.weights);
      const bin = readFileSync(join(dir, `${name}.bin`));
      await faceapi.nets[net]!.loadFromWeightMap(
        faceapi.tf.io.decodeWeights(new Uint8Array(bin).buffer, specs),
      );
    }
    // The same pixels (0..255, HWC) for face-api.
    const [, h, w] = image.shape as [number, number, number];
    const hwc = new Float32Array(h * w * 3);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < h * w; i++) hwc[i * 3 + c] = image.data[c * h * w + i]! * 255;
    const theirs = await faceapi
      .detectAllFaces(faceapi.tf.tensor3d(hwc, [h, w, 3]), new faceapi.SsdMobilenetv1Options())
      .withFaceLandmarks()
      .withFaceDescriptors();

    assert.equal(ours.length, 1, 'one face');
    assert.equal(theirs.length, 1);
    const [a, b] = [ours[0]!, theirs[0]!];
    const bb = b.detection.box;
    assertClose([a.x, a.y, a.width, a.height], [bb.x, bb.y, bb.width, bb.height], {
      atol: 0.01,
      rtol: 1e-4,
      msg: 'box',
    });
    assertClose([a.score], [b.detection.score], { atol: 1e-5, msg: 'score' });
    assertClose(
      a.landmarks.flat(),
      b.landmarks.positions.flatMap((p) => [p.x, p.y]),
      { atol: 0.01, rtol: 1e-4, msg: 'landmarks' },
    );
    assertClose(a.descriptor, b.descriptor, { atol: 1e-4, rtol: 1e-3, msg: 'descriptor' });
    // The face is where the astronaut's face is (skimage's 512x512 portrait).
    assert.ok(a.x > 150 && a.x + a.width < 320 && a.y > 40 && a.y + a.height < 220, JSON.stringify(a));
  });

  it('the same person in two photos is closer than two different people', async () => {
    // face-api's demo photos: the dark-haired woman with a nose ring is in sample 1
    // (second from left) and sample 2 (right); the others in each photo are different people.
    const at = (faces: st.DescribedFace[], img: st.Tensor, cx: number, cy: number) =>
      faces.reduce((best, f) => {
        const d = (f2: st.DescribedFace) =>
          Math.hypot((f2.x + f2.width / 2) / img.shape[2]! - cx, (f2.y + f2.height / 2) / img.shape[1]! - cy);
        return d(f) < d(best) ? f : best;
      });
    const img1 = await st.readImage(demo(1));
    const img2 = await st.readImage(demo(2));
    const faces1 = await st.faces.describe(img1);
    const faces2 = await st.faces.describe(img2);
    assert.ok(faces1.length >= 3 && faces2.length >= 3, `${faces1.length} and ${faces2.length} faces`);
    const p1 = at(faces1, img1, 0.49, 0.41);
    const p2 = at(faces2, img2, 0.8, 0.2);
    const same = st.faceDistance(p1.descriptor, p2.descriptor);
    const others = [
      ...faces1.filter((f) => f !== p1).map((f) => st.faceDistance(f.descriptor, p1.descriptor)),
      ...faces2.filter((f) => f !== p2).map((f) => st.faceDistance(f.descriptor, p2.descriptor)),
    ];
    assert.ok(same < st.FACE_MATCH_THRESHOLD, `same person at ${same}`);
    assert.ok(
      same < Math.min(...others),
      `same ${same}, different people ${others.map((d) => d.toFixed(3)).join(' ')}`,
    );
  });

  it('explains a photo without a face, a non-image file and an empty gallery', async () => {
    const coffee = join(SKIMAGE_DATA, 'coffee.png');
    assert.deepEqual(await st.faces.detect(coffee), []);
    await assert.rejects(() => st.faces.compare(coffee, demo(1)), /no face found in .*coffee\.png/);
    const dir = mkdtempSync(join(tmpdir(), 'stride-faces-'));
    try {
      const notImage = join(dir, 'notes.jpg');
      writeFileSync(notImage, 'not a photo');
      await assert.rejects(
        () => st.faces.describe(notImage),
        /notes\.jpg: not an image \(expected JPEG, PNG or WebP bytes\)/,
      );
      await assert.rejects(
        () => facesCommand(['enroll', dir]),
        /notes\.jpg: not an image \(expected JPEG, PNG or WebP bytes\)/,
      );
      rmSync(notImage);
      await assert.rejects(() => facesCommand(['enroll', dir]), /the gallery folder .* holds no photos/);
      writeFileSync(
        join(dir, 'gallery.json'),
        JSON.stringify({ format: 'stride-face-gallery', version: 1, people: [] }),
      );
      await assert.rejects(
        () => facesCommand(['identify', demo(1), '--gallery', dir]),
        /the gallery .* is empty: nobody is enrolled/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stride faces enroll / identify / compare', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stride-faces-'));
    const log: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void log.push(a.join(' '));
    try {
      copyFileSync(join(SKIMAGE_DATA, 'astronaut.png'), join(dir, 'eileen.png'));
      await facesCommand(['enroll', dir]);
      await facesCommand(['identify', join(SKIMAGE_DATA, 'astronaut.png'), '--gallery', dir]);
      await facesCommand([
        'compare',
        join(SKIMAGE_DATA, 'astronaut.png'),
        join(SKIMAGE_DATA, 'astronaut.png'),
      ]);
    } finally {
      console.log = orig;
      rmSync(dir, { recursive: true, force: true });
    }
    assert.match(log[0]!, /eileen\.png: enrolled 'eileen'/);
    assert.match(log[2]!, /face at \[\d+, \d+, \d+x\d+\]: eileen \(distance 0\.0000\)/);
    assert.match(log[3]!, /distance 0\.0000: same person \(threshold 0\.6\)/);
  });
});
