import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { nsfwjsModel, nsfwjsPhotoSkip, photo } from './helpers/npm-models.js';

const model = nsfwjsModel('mobilenet_v2_mid');
const skip = nsfwjsPhotoSkip(model);

test(
  "nsfwjs' MobileNetV2 graph model (fused convolutions, depthwise, AddV2, AvgPool, fused MatMul) gives tfjs's outputs on a real photo",
  { skip },
  async () => {
    const { json, data } = model!;
    assert.equal(st.tfjsModelFormat(json), 'graph-model');
    const g = st.importTfjs(json, data, { file: 'nsfwjs/mobilenet_v2_mid' });
    assert.equal(g.modules().filter((m) => m instanceof st.Conv2d).length, 35 + 17);

    await tf.setBackend('cpu');
    const reference = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: (json as { modelTopology: object }).modelTopology,
        format: 'graph-model',
        weightSpecs: st.tfjsWeightGroups(json).flatMap((gr) => gr.weights),
        weightData: data.slice().buffer,
      }),
    );
    const p = await photo('coffee.png', 224, 1 / 255);
    const got = st.noGrad(() => g.forward(p.nchw));
    const want = Array.from(
      await (reference.predict(tf.tensor4d(p.nhwc, [1, 224, 224, 3])) as tf.Tensor).data(),
    );
    assertClose(got, want, { atol: 1e-5, rtol: 1e-4 });
  },
);
