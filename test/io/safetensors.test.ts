import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import {
  ModelFileError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsHeader,
} from '../../src/index.js';

/** Build a safetensors file by hand: 8-byte little-endian header length, JSON header, raw bytes. */
function handMade(header: object, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of float32 values. */
function f32Bytes(values: number[]): number[] {
  return [...new Uint8Array(new Float32Array(values).buffer)];
}

test('decodes a hand-made file with several dtypes and metadata', () => {
  // float32 [2, 2] = [[1, -2], [0.5, 3]]; F16 0x3C00 = 1, 0xC000 = -2; BF16 0x3FC0 = 1.5;
  // I64 -3 and 2^40; U8 200; BOOL [0, 7].
  const f16 = [0x00, 0x3c, 0x00, 0xc0];
  const bf16 = [0xc0, 0x3f];
  const i64 = [...new Uint8Array(new BigInt64Array([-3n, 2n ** 40n]).buffer)];
  const bytes = handMade(
    {
      __metadata__: { format: 'pt', note: 'hand made' },
      w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      h: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
      b: { dtype: 'BF16', shape: [], data_offsets: [20, 22] },
      n: { dtype: 'I64', shape: [2], data_offsets: [22, 38] },
      u: { dtype: 'U8', shape: [1], data_offsets: [38, 39] },
      k: { dtype: 'BOOL', shape: [2], data_offsets: [39, 41] },
    },
    [...f32Bytes([1, -2, 0.5, 3]), ...f16, ...bf16, ...i64, 200, 0, 7],
  );
  const { tensors, metadata, dtypes } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', note: 'hand made' });
  assert.deepEqual([...tensors.keys()], ['w', 'h', 'b', 'n', 'u', 'k']);
  assert.deepEqual(tensors.get('w')!.toArray(), [
    [1, -2],
    [0.5, 3],
  ]);
  assert.deepEqual(tensors.get('h')!.toArray(), [1, -2]);
  assert.equal(tensors.get('b')!.item(), 1.5);
  assert.deepEqual([...tensors.get('b')!.shape], []);
  assert.deepEqual(tensors.get('n')!.toArray(), [-3, 2 ** 40]);
  assert.deepEqual(tensors.get('u')!.toArray(), [200]);
  assert.deepEqual(tensors.get('k')!.toArray(), [0, 1]);
  assert.equal(dtypes.get('n'), 'I64');
  assert.equal(tensors.get('w')!.dtype, 'float32');
});

test('encode writes the documented layout: aligned header, F32/F64, little-endian bytes in order', () => {
  const a = st.tensor([[1, 2, 3]]);
  const b = st.tensor([0.25], [1], { dtype: 'float64' });
  const bytes = encodeSafetensors({ a, b }, { metadata: { k: 'v' } });
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLen) % 8, 0, 'data section is 8-byte aligned');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
    string,
    unknown
  >;
  assert.deepEqual(header, {
    __metadata__: { k: 'v' },
    a: { dtype: 'F32', shape: [1, 3], data_offsets: [0, 12] },
    b: { dtype: 'F64', shape: [1], data_offsets: [12, 20] },
  });
  const data = bytes.subarray(8 + headerLen);
  assert.deepEqual([...data.subarray(0, 12)], f32Bytes([1, 2, 3]));
  assert.deepEqual([...data.subarray(12)], [...new Uint8Array(new Float64Array([0.25]).buffer)]);
});

test('round trip keeps names, order, shapes, dtypes and values', () => {
  const sd = {
    'features.0.weight': st.randn([4, 3, 3, 3]),
    'features.0.bias': st.randn([4]),
    'bn.num_batches_tracked': st.scalar(7),
    x64: st.randn([2, 5], { dtype: 'float64' }),
    empty: st.zeros([0, 3]),
  };
  const back = decodeSafetensors(encodeSafetensors(sd));
  assert.deepEqual([...back.tensors.keys()], Object.keys(sd));
  for (const [k, t] of Object.entries(sd)) {
    const u = back.tensors.get(k)!;
    assert.equal(u.dtype, t.dtype, k);
    assert.deepEqual([...u.shape], [...t.shape], k);
    assert.deepEqual([...u.data], [...t.data], k);
  }
  const copied = decodeSafetensors(encodeSafetensors(sd), { copy: true, dtype: 'float64' });
  assert.equal(copied.tensors.get('features.0.bias')!.dtype, 'float64');
});

test('aligned float tensors are views into the bytes unless copy is asked for', () => {
  const bytes = encodeSafetensors({ w: st.tensor([1, 2]) });
  const view = decodeSafetensors(bytes).tensors.get('w')!;
  assert.equal(view.data.buffer, bytes.buffer);
  const copy = decodeSafetensors(bytes, { copy: true }).tensors.get('w')!;
  assert.notEqual(copy.data.buffer, bytes.buffer);
  // An unaligned buffer (the file starting at an odd byte) is read by copying.
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual([...decodeSafetensors(shifted.subarray(1)).tensors.get('w')!.data], [1, 2]);
});

function expectRefused(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeSafetensors(bytes, { file: 'bad.safetensors' }),
    (e: unknown) =>
      e instanceof ModelFileError && pattern.test(e.message) && e.message.includes('bad.safetensors'),
  );
}

test('refuses malformed headers with a clear error', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data = f32Bytes([1, 2]);
  expectRefused(new Uint8Array(5), /too short/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  expectRefused(huge, /limit/);
  const long = new Uint8Array(16);
  new DataView(long.buffer).setBigUint64(0, 100n, true);
  expectRefused(long, /only 8 follow/);
  const notJson = handMade({}, []);
  notJson[8] = 0x7b;
  notJson[9] = 0x7b;
  expectRefused(notJson, /not valid JSON/);
  expectRefused(handMade([1, 2] as unknown as object, []), /not a JSON object/);
  expectRefused(handMade({ w: { ...ok.w, dtype: 'F8' } }, data), /unknown dtype/);
  expectRefused(handMade({ w: { ...ok.w, shape: [-2] } }, data), /non-negative integers/);
  expectRefused(handMade({ w: { ...ok.w, shape: [3] } }, data), /needs more bytes than the file holds/);
  expectRefused(handMade({ w: { ...ok.w, shape: [1] } }, data), /needs 4 bytes, its data_offsets span 8/);
  expectRefused(handMade({ w: { ...ok.w, shape: [2 ** 40, 2 ** 40] } }, data), /more bytes than the file/);
  expectRefused(handMade({ w: { ...ok.w, data_offsets: [0, 16] } }, data), /outside/);
  expectRefused(handMade({ w: { ...ok.w, data_offsets: [8] } }, data), /data_offsets/);
  expectRefused(handMade(ok, [...data, 0, 0, 0, 0]), /cover 8 bytes of data but the file holds 12/);
  expectRefused(
    handMade(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      },
      data,
    ),
    /overlaps/,
  );
  expectRefused(
    handMade(
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        b: { dtype: 'F32', shape: [0], data_offsets: [8, 8] },
      },
      data,
    ),
    /belong to no tensor/,
  );
  expectRefused(handMade({ __metadata__: { a: 1 } }, []), /not a string/);
  const badUtf8 = handMade({ w: 1 }, []);
  badUtf8[9] = 0xff;
  expectRefused(badUtf8, /UTF-8/);
});

test('readSafetensorsHeader lists tensors without reading them', () => {
  const h = readSafetensorsHeader(encodeSafetensors({ a: st.zeros([2, 3]), b: st.zeros([4]) }));
  assert.deepEqual(
    h.tensors.map((t) => [t.name, t.dtype, [...t.shape], [...t.dataOffsets]]),
    [
      ['a', 'F32', [2, 3], [0, 24]],
      ['b', 'F32', [4], [24, 40]],
    ],
  );
});

test('encode refuses bad names and values', () => {
  assert.throws(() => encodeSafetensors({ __metadata__: st.zeros([1]) }), st.ValueError);
  assert.throws(
    () =>
      encodeSafetensors([
        ['a', st.zeros([1])],
        ['a', st.zeros([1])],
      ]),
    /appears twice/,
  );
  assert.throws(() => encodeSafetensors({ a: [1, 2] as unknown as st.Tensor }), /not a Tensor/);
});
