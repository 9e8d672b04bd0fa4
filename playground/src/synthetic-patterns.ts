// The playground's synthetic 32x32x3 task for the ConvNetJS CIFAR-style net, generated in the page
// (there is no CIFAR-10 here). Each image is a striped patch on a noisy grey background; the class
// is the stripes' direction (5) times the colour family of the stripes (2), so neither colour nor
// orientation alone gets past 50%: a net must see both, as its first-layer filters show.
import * as st from '../../src/index.js';
import type { MnistSplit, MnistSubset } from './mnist-subset.js';

/** The ten classes, in label order: pattern × colour family. */
export const SYNTHETIC_CLASSES = [
  'warm horizontal',
  'warm vertical',
  'warm diagonal ↘',
  'warm diagonal ↗',
  'warm checks',
  'cool horizontal',
  'cool vertical',
  'cool diagonal ↘',
  'cool diagonal ↗',
  'cool checks',
] as const;

const SIZE = 32;
const PIXELS = 3 * SIZE * SIZE;

/** Hue in [0, 1) to RGB at full saturation and value. */
function hueToRgb(h: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return 1 - Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** Whether the pattern `kind` (0..4) is "on" at (y, x) for the given stripe period. */
function stripeOn(kind: number, y: number, x: number, period: number): boolean {
  const half = period / 2;
  switch (kind) {
    case 0:
      return y % period < half;
    case 1:
      return x % period < half;
    case 2:
      return (x - y + 4 * period) % period < half;
    case 3:
      return (x + y) % period < half;
    default:
      return (Math.floor(x / half) + Math.floor(y / half)) % 2 === 0;
  }
}

/** Write one image of class `label` into `out` at `offset` ([3, 32, 32], values in [0, 1]). */
function drawImage(rng: st.Rng, label: number, out: Float32Array, offset: number): void {
  const kind = label % 5;
  const warm = label < 5;
  // Warm hues: red to yellow (0 to 1/6); cool: cyan to blue (1/2 to 2/3).
  const [r, g, b] = hueToRgb(warm ? rng.uniform(0, 1 / 6) : rng.uniform(1 / 2, 2 / 3));
  const fg = [0.25 + 0.75 * r, 0.25 + 0.75 * g, 0.25 + 0.75 * b];
  const bg = rng.uniform(0.1, 0.4);
  const period = rng.int(4, 7);
  const h = rng.int(20, 33);
  const w = rng.int(20, 33);
  const y0 = rng.int(0, SIZE - h + 1);
  const x0 = rng.int(0, SIZE - w + 1);
  const phase = rng.int(0, period);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const inside = y >= y0 && y < y0 + h && x >= x0 && x < x0 + w;
      const on = inside && stripeOn(kind, y + phase, x, period);
      for (let c = 0; c < 3; c++) {
        const v = (on ? fg[c]! : bg) + rng.normal(0, 0.1);
        out[offset + c * SIZE * SIZE + y * SIZE + x] = Math.min(1, Math.max(0, v));
      }
    }
  }
}

function makeSplit(rng: st.Rng, count: number): MnistSplit {
  const pixels = new Float32Array(count * PIXELS);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    drawImage(rng, label, pixels, i * PIXELS);
    labels.push(label);
  }
  // Shuffle so a slice of the test split holds every class.
  const order = Array.from({ length: count }, (_, i) => i);
  rng.shuffle(order);
  const shuffled = new Float32Array(count * PIXELS);
  order.forEach((k, i) => shuffled.set(pixels.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS));
  return {
    images: st.tensor(shuffled, [count, 3, SIZE, SIZE]),
    labels: st.tensor(order.map((k) => labels[k]!)),
    count,
  };
}

/**
 * The synthetic 32x32x3 training and test sets (labels balanced, deterministic for a seed): images
 * [N, 3, 32, 32] in [0, 1], labels [N] in 0..9 (see {@link SYNTHETIC_CLASSES}).
 */
export function syntheticPatterns(trainCount: number, testCount: number, seed = 1): MnistSubset {
  const rng = new st.Rng(seed);
  return { train: makeSplit(rng, trainCount), test: makeSplit(rng, testCount) };
}
