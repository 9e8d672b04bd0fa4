import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertTorchvisionKeys, rms, torchvisionFacts, assertZooParity } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('SqueezeNet', () => {
  const cases: [string, (o?: st.models.SqueezeNetOptions) => st.Module, number][] = [
    ['squeezenet1_0', st.models.squeezenet1_0, 1_248_424],
    ['squeezenet1_1', st.models.squeezenet1_1, 1_235_496],
  ];
  for (const [name, build, params] of cases) {
    it(`${name}: torchvision's ${params.toLocaleString('en-US')} parameters and state-dict keys`, () => {
      const m = build({ init: false });
      assert.equal(m.numParameters(), params);
      assertTorchvisionKeys(m, facts.models[name]!);
    });

    it(`${name} computes torchvision's logits (hash-filled weights, 64x64 input, eval mode)`, () => {
      assertZooParity(build({ numClasses: 10, init: false }), name);
    });
  }

  it('initializes the final convolution with N(0, 0.01) and the others He-uniform, biases zero', () => {
    st.manualSeed(5);
    const m = st.models.squeezenet1_1({ numClasses: 1000 });
    const w = (m.getSubmodule('classifier.1') as st.Conv2d).weight;
    const std = rms(w);
    assert.ok(Math.abs(std / 0.01 - 1) < 0.03, `final conv std ${std}`);
    const first = m.getSubmodule('features.0') as st.Conv2d; // 64 filters of 3x3x3: bound √6/√27
    assert.ok(first.weight.data.every((v) => Math.abs(v) <= Math.sqrt(6 / 27)));
    assert.ok(first.bias!.data.every((v) => v === 0));
  });
});
