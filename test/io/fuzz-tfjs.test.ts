import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { fuzzDecoder } from './helpers/fuzz.js';

const layer = (cls: string, name: string, config: object, inbound: string | null) => ({
  class_name: cls,
  name,
  config: { name, ...config },
  inbound_nodes: inbound ? [[[inbound, 0, 0, {}]]] : [],
});

/** A small functional Keras model as a TF.js model.json, with float32 and uint8-quantized weights. */
const modelJson = {
  format: 'layers-model',
  modelTopology: {
    model_config: {
      class_name: 'Model',
      config: {
        name: 'fuzz',
        layers: [
          layer('InputLayer', 'in', { batch_input_shape: [null, 4, 4, 2] }, null),
          layer(
            'Conv2D',
            'conv',
            {
              filters: 3,
              kernel_size: [3, 3],
              strides: [1, 1],
              padding: 'same',
              activation: 'relu',
              use_bias: true,
            },
            'in',
          ),
          layer('BatchNormalization', 'bn', { axis: -1, epsilon: 0.001 }, 'conv'),
          layer('Flatten', 'flat', {}, 'bn'),
          layer('Dense', 'fc', { units: 2, activation: 'softmax', use_bias: true }, 'flat'),
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['fc', 0, 0]],
      },
    },
  },
  weightsManifest: [
    {
      paths: ['w.bin'],
      weights: [
        {
          name: 'conv/kernel',
          shape: [3, 3, 2, 3],
          dtype: 'float32',
          quantization: { dtype: 'uint8', scale: 0.01, min: -1 },
        },
        { name: 'conv/bias', shape: [3], dtype: 'float32' },
        { name: 'bn/gamma', shape: [3], dtype: 'float32' },
        { name: 'bn/beta', shape: [3], dtype: 'float32' },
        { name: 'bn/moving_mean', shape: [3], dtype: 'float32' },
        { name: 'bn/moving_variance', shape: [3], dtype: 'float32' },
        { name: 'fc/kernel', shape: [48, 2], dtype: 'float32' },
        { name: 'fc/bias', shape: [2], dtype: 'float32' },
      ],
    },
  ],
};
const rng = new st.Rng(31);
const weightBytes = new Uint8Array(54 + 4 * (3 * 5 + 96 + 2));
for (let i = 0; i < 54; i++) weightBytes[i] = rng.int(0, 256);
const floats = new Float32Array(3 * 5 + 96 + 2).map(() => rng.uniform(0.5, 1.5));
weightBytes.set(new Uint8Array(floats.buffer), 54);
const jsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));
const x = st.rand([1, 2, 4, 4]);

function runs(g: st.Graph): void {
  try {
    g.forward(x);
  } catch (err) {
    assert.ok(
      err instanceof st.StrideError,
      `forward threw ${(err as Error).name}: ${(err as Error).message}`,
    );
  }
}

test('TF.js: the intact model imports and runs', () => {
  const g = st.importTfjs(modelJson, weightBytes);
  assert.deepEqual([...g.forward(x).shape], [1, 2]);
});

test('TF.js: damaged weight bytes are decoded or refused with ModelFileError', () => {
  fuzzDecoder(
    weightBytes,
    (b) => st.importTfjs(modelJson, b),
    { seed: 32, rounds: 600, accepted: [st.ModelFileError] },
    runs,
  );
});

test('TF.js: damaged model.json text that still parses imports or is refused with a Stride error', () => {
  let parsed = 0;
  fuzzDecoder(
    jsonBytes,
    (b) => {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(b));
      } catch {
        return null; // the loader reports unparsable JSON itself (see loadTfjs)
      }
      parsed++;
      return st.importTfjs(json, weightBytes);
    },
    { seed: 33, rounds: 1500, accepted: [st.StrideError] },
    (g) => {
      if (g) runs(g);
    },
  );
  assert.ok(parsed > 100, `only ${parsed} damaged files still parsed`);
});
