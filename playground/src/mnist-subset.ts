import * as st from '../../src/index.js';

/** One split of the playground's MNIST subset: images [N, 1, 28, 28] in [0, 1] and labels [N]. */
export interface MnistSplit {
  images: st.Tensor;
  labels: st.Tensor;
  count: number;
}

/** The subset written by scripts/playground-data.mjs. */
export interface MnistSubset {
  train: MnistSplit;
  test: MnistSplit;
}

const PIXELS = 28 * 28;
const HEADER = 12;

function split(bytes: Uint8Array, offset: number, count: number): [MnistSplit, number] {
  const pixels = new Float32Array(count * PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[offset + i]! / 255;
  const labelStart = offset + count * PIXELS;
  const labels = Array.from(bytes.subarray(labelStart, labelStart + count));
  const images = st.tensor(pixels, [count, 1, 28, 28]);
  return [{ images, labels: st.tensor(labels), count }, labelStart + count];
}

/** Decode the subset file (see scripts/playground-data.mjs for its layout). */
export function decodeMnistSubset(buffer: ArrayBuffer): MnistSubset {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'SMN1' || bytes.length < HEADER) {
    throw new st.ValueError(
      'decodeMnistSubset',
      `mnist-subset.bin does not start with 'SMN1' (got '${magic}'); rebuild it with node scripts/playground-data.mjs`,
    );
  }
  const trainCount = view.getUint32(4, true);
  const testCount = view.getUint32(8, true);
  const expected = HEADER + (trainCount + testCount) * (PIXELS + 1);
  if (bytes.length !== expected) {
    throw new st.ValueError(
      'decodeMnistSubset',
      `mnist-subset.bin holds ${bytes.length} bytes, expected ${expected} for ${trainCount} + ${testCount} images; rebuild it with node scripts/playground-data.mjs`,
    );
  }
  const [train, next] = split(bytes, HEADER, trainCount);
  const [test] = split(bytes, next, testCount);
  return { train, test };
}

/** Fetch and decode the subset that the build placed next to the page. */
export async function loadMnistSubset(url: string | URL): Promise<MnistSubset> {
  const res = await fetch(url);
  if (!res.ok)
    throw new st.ValueError('loadMnistSubset', `fetching ${String(url)} failed: HTTP ${res.status}`);
  return decodeMnistSubset(await res.arrayBuffer());
}
