import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { fuzzDecoder } from './helpers/fuzz.js';

test('safetensors: random truncations and byte flips are decoded or refused cleanly, never over-allocating', () => {
  const valid = st.encodeSafetensors(
    {
      'conv.weight': st.randn([4, 3, 3, 3]),
      'conv.bias': st.randn([4]),
      'bn.running_var': st.randn([4], { dtype: 'float64' }),
    },
    { metadata: { format: 'stride' } },
  );
  const refused = fuzzDecoder(
    valid,
    (bytes) => st.decodeSafetensors(bytes, { copy: true }),
    { seed: 6, rounds: 3000, accepted: [st.ModelFileError] },
    (decoded, bytes) => {
      let total = 0;
      for (const t of decoded.tensors.values()) total += t.data.byteLength;
      // Stored dtypes of 1 or 2 bytes widen to float32: at most 4 bytes per file byte.
      assert.ok(total <= 4 * bytes.length, `decoded ${total} bytes from a ${bytes.length}-byte file`);
    },
  );
  // Every truncation and most header damage must be refused (flips in the data section decode).
  assert.ok(refused > 1000, `only ${refused} of 3000 damaged files were refused`);
});
