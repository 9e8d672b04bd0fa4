import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYNTHETIC_CLASSES, syntheticPatterns } from '../../playground/src/synthetic-patterns.js';

// The synthetic 32x32x3 images against what their class names say, measured directly on the
// pixels: stripes do not change along their own direction, so of the mean absolute differences
// between neighbours along x, along y and along the two diagonals, the stripes' direction has the
// smallest; checks change about as much along x as along y, and not markedly less diagonally. Warm colours have more red than blue, cool
// ones more blue than red (the grey background and the zero-mean noise add the same to both).
const S = 32;

/** Mean |difference| between the pixel at (y, x) and at (y + dy, x + dx), over the image and its channels. */
function energy(img: ArrayLike<number>, dy: number, dx: number): number {
  let sum = 0;
  let n = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = Math.max(0, -dy); y < S - Math.max(0, dy); y++) {
      for (let x = 0; x < S - dx; x++) {
        sum += Math.abs(img[c * S * S + (y + dy) * S + x + dx]! - img[c * S * S + y * S + x]!);
        n++;
      }
    }
  }
  return sum / n;
}

describe('playground synthetic 32x32x3 patterns', () => {
  const { train, test } = syntheticPatterns(200, 50, 3);

  it('has the promised shapes, range and balanced labels', () => {
    assert.deepEqual(train.images.shape, [200, 3, 32, 32]);
    assert.deepEqual(test.images.shape, [50, 3, 32, 32]);
    assert.equal(SYNTHETIC_CLASSES.length, 10);
    assert.ok(train.images.data.every((v) => v >= 0 && v <= 1));
    const counts = new Array<number>(10).fill(0);
    for (const l of train.labels.data) counts[l]! += 1;
    assert.deepEqual(counts, new Array<number>(10).fill(20));
  });

  it('draws what each label names: stripe direction and colour family', () => {
    const per = 3 * S * S;
    for (let i = 0; i < train.count; i++) {
      const label = train.labels.data[i]!;
      const img = train.images.data.subarray(i * per, (i + 1) * per);
      const along = {
        x: energy(img, 0, 1),
        y: energy(img, 1, 0),
        down: energy(img, 1, 1),
        up: energy(img, -1, 1),
      };
      const name = SYNTHETIC_CLASSES[label]!;
      const why = `image ${i} (${name}): ${JSON.stringify(along)}`;
      const smallest = Math.min(along.x, along.y, along.down, along.up);
      if (name.endsWith('horizontal')) assert.equal(along.x, smallest, why);
      else if (name.endsWith('vertical')) assert.equal(along.y, smallest, why);
      else if (name.endsWith('↘')) assert.equal(along.down, smallest, why);
      else if (name.endsWith('↗')) assert.equal(along.up, smallest, why);
      else {
        // Checks: no direction is markedly quieter than the others.
        assert.ok(Math.min(along.x, along.y) > 0.9 * Math.max(along.x, along.y), why);
        assert.ok(smallest > 0.9 * Math.min(along.x, along.y), why);
      }
      let red = 0;
      let blue = 0;
      for (let p = 0; p < S * S; p++) {
        red += img[p]!;
        blue += img[2 * S * S + p]!;
      }
      if (name.startsWith('warm')) assert.ok(red > blue, why);
      else assert.ok(blue > red, why);
    }
  });

  it('is the same for the same seed and differs for another', () => {
    const again = syntheticPatterns(200, 50, 3);
    assert.deepEqual(again.train.images.data, train.images.data);
    assert.notDeepEqual(
      syntheticPatterns(200, 50, 4).train.images.data.subarray(0, 100),
      train.images.data.subarray(0, 100),
    );
  });
});
