import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { nsfwjsModel, nsfwjsPhotoSkip, photo } from './helpers/npm-models.js';

const model = nsfwjsModel('mobilenet_v2');
const skip = nsfwjsPhotoSkip(model);

test(
  "nsfwjs' Keras MobileNetV2 (TF.js layers model, uint8-quantized) gives tfjs's outputs on real photos",
  { skip },
  async () => {
    const { json, data } = model!;
    assert.equal(st.tfjsModelFormat(json), 'layers-model');
    const g = st.importTfjs(json, data, { file: 'nsfwjs/mobilenet_v2' });
    assert.equal(
      g.modules().filter((m) => m instanceof st.Conv2d && m.groups > 1).length,
      17,
      '17 depthwise convolutions',
    );
    assert.equal(g.modules().filter((m) => m instanceof st.BatchNorm2d).length, 52);

    await tf.setBackend('cpu');
    const groups = st.tfjsWeightGroups(json);
    const reference = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: (json as { modelTopology: object }).modelTopology,
        weightSpecs: groups.flatMap((gr) => gr.weights),
        weightData: data.slice().buffer,
      }),
    );
    // nsfwjs feeds pixels / 255 at 224x224.
    const p = await photo('chelsea.png', 224, 1 / 255);
    const got = st.noGrad(() => g.forward(p.nchw));
    const want = Array.from(
      await (reference.predict(tf.tensor4d(p.nhwc, [1, 224, 224, 3])) as tf.Tensor).data(),
    );
    assertClose(got, want, { atol: 1e-5, rtol: 1e-4 });
    // A cat photo is safe-for-work: 'Neutral' or 'Drawing' wins (nsfwjs' class order: Drawing,
    // Hentai, Neutral, Porn, Sexy).
    const probs = Array.from(got.data);
    assert.ok(probs[0]! + probs[2]! > 0.5, probs.map((v) => v.toFixed(3)).join(' '));
  },
);
