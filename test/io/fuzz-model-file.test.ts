import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { fuzzDecoder } from './helpers/fuzz.js';

test('Stride model files: truncations and byte flips (header, architecture JSON, weights) are loaded or refused with a Stride error', () => {
  const rng = new st.Rng(9);
  const model = new st.Sequential(
    new st.Conv2d(2, 3, 3, { padding: 1, rng }),
    new st.BatchNorm2d(3),
    new st.ReLU(),
    new st.Flatten(),
    new st.Linear(12, 2, { rng }),
  );
  const valid = st.encodeModelFile(model);
  const x = st.randn([1, 2, 2, 2], { rng });
  const refused = fuzzDecoder(
    valid,
    (bytes) => st.decodeModelFile(bytes),
    // ValueError/ShapeError come from layer constructors refusing flipped options; StateDictError from flipped shapes.
    { seed: 10, rounds: 1500, accepted: [st.StrideError] },
    (loaded, bytes) => {
      assert.ok(loaded.model.numParameters() <= bytes.length, 'no more parameters than the file holds');
      try {
        loaded.model.forward(x); // a loaded model runs or refuses its input with a Stride error
      } catch (err) {
        assert.ok(
          err instanceof st.StrideError,
          `forward threw ${(err as Error).name}: ${(err as Error).message}`,
        );
      }
    },
  );
  assert.ok(refused > 500, `only ${refused} of 1500 damaged files were refused`);
});
