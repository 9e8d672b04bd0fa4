import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/index.js';
import { fuzzDecoder } from './helpers/fuzz.js';

const bytes = readFileSync(fileURLToPath(new URL('../fixtures/onnx/tiny_mobilenet.onnx', import.meta.url)));

test('ONNX: truncations and byte flips of a PyTorch export are decoded or refused with ModelFileError, never over-allocating', () => {
  const refused = fuzzDecoder(
    bytes,
    (b) => st.decodeOnnxModel(b),
    { seed: 13, rounds: 1500, accepted: [st.ModelFileError] },
    (m, b) => {
      const values = m.graph.initializers.reduce((n, t) => n + t.data.length, 0);
      assert.ok(values <= b.length, `decoded ${values} values from ${b.length} bytes`);
    },
  );
  assert.ok(refused > 400, `only ${refused} of 1500 damaged files were refused`);
});

test('ONNX: damaged models import and run, or are refused with a Stride error', () => {
  const x = st.randn([1, 3, 16, 16]);
  fuzzDecoder(
    bytes,
    (b) => st.importOnnx(b),
    { seed: 14, rounds: 600, accepted: [st.StrideError] },
    (g) => {
      try {
        g.forward(x);
      } catch (err) {
        assert.ok(
          err instanceof st.StrideError,
          `forward threw ${(err as Error).name}: ${(err as Error).message}`,
        );
      }
    },
  );
});
