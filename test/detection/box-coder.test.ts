import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface CoderCase {
  anchorArgs: st.AnchorOptions;
  anchors: FixtureTensor;
  boxes: FixtureTensor;
  coderAnchors: FixtureTensor;
  encoded: FixtureTensor;
  offsets: FixtureTensor;
  decoded: FixtureTensor;
}
// torchvision's AnchorGenerator and BoxCoder(weights 10, 10, 5, 5) from scripts/fixtures/gen_detection.py.
const c = loadFixture<{ cases: { coder: CoderCase } }>('detection').cases.coder;
const t = (f: FixtureTensor) => st.fromArray(Float32Array.from(f.data), f.shape);

describe('anchors and box coders against torchvision', () => {
  it('generateAnchors reproduces AnchorGenerator over two levels', () => {
    assertClose(st.generateAnchors(c.anchorArgs), t(c.anchors), { atol: 0 });
  });
  it('encodeBoxes / decodeBoxes reproduce BoxCoder (SSD variances 0.1, 0.1, 0.2, 0.2)', () => {
    assertClose(st.encodeBoxes(t(c.boxes), t(c.coderAnchors)), t(c.encoded), { atol: 1e-5 });
    assertClose(st.decodeBoxes(t(c.offsets), t(c.coderAnchors)), t(c.decoded), { rtol: 1e-5, atol: 1e-4 });
    // and decode inverts encode
    assertClose(
      st.decodeBoxes(st.encodeBoxes(t(c.boxes), t(c.coderAnchors)), t(c.coderAnchors)),
      t(c.boxes),
      {
        atol: 1e-4,
      },
    );
  });
});

describe('YOLO decode (hand-worked)', () => {
  it('one anchor, 2x2 grid: centre (cx + σ(tx))·stride, size anchor·e^tw·stride, score σ(obj)·softmax', () => {
    // [N=1, A·(5+C) = 1·(5+2), H=2, W=2]; only cell (y=1, x=0) is confident.
    const raw = st.zeros([1, 7, 2, 2]);
    const at = (k: number, y: number, x: number, v: number) => (raw.data[k * 4 + y * 2 + x] = v);
    at(4, 0, 0, -10);
    at(4, 0, 1, -10);
    at(4, 1, 1, -10);
    at(4, 1, 0, 10); // objectness ≈ 1
    at(2, 1, 0, Math.log(2)); // width: 2·anchor
    at(6, 1, 0, Math.log(3)); // class 1 logit: softmax = 3/4
    const [d] = st.decodeYolo(raw, { anchors: [[1.5, 1]], numClasses: 2, stride: 32, scoreThreshold: 0.5 });
    assert.equal(d!.boxes.length, 1);
    assert.deepEqual(d!.labels, [1]);
    assertClose(d!.scores, [0.75 / (1 + Math.exp(-10))], { atol: 1e-6 });
    // centre (0 + 0.5)·32 = 16, (1 + 0.5)·32 = 48; w = 1.5·2·32 = 96, h = 32
    assertClose(d!.boxes[0]!, [16 - 48, 48 - 16, 16 + 48, 48 + 16], { atol: 1e-4 });
  });
  it('refuses a head whose channels do not match the anchors', () => {
    assert.throws(
      () => st.decodeYolo(st.zeros([1, 8, 2, 2]), { anchors: [[1, 1]], numClasses: 2, stride: 8 }),
      /\[N, 7, H, W\]/,
    );
  });
});

describe('k-means anchors (YOLOv2 recipe, hand-worked)', () => {
  it('two well-separated clusters give their mean sizes, sorted by area', () => {
    const sizes: [number, number][] = [
      [10, 10],
      [12, 10],
      [11, 12],
      [100, 50],
      [110, 50],
      [90, 50],
    ];
    const { anchors, meanIou } = st.kmeansAnchors(sizes, 2, { seed: 3 });
    assertClose(anchors.flat(), [11, 32 / 3, 100, 50], { atol: 1e-9 });
    assert.ok(meanIou > 0.85 && meanIou <= 1);
    assert.equal(st.shapeIou([2, 2], [1, 1]), 0.25);
  });
  it('refuses k larger than the number of boxes and empty sizes', () => {
    assert.throws(() => st.kmeansAnchors([[1, 1]], 2), /k must be an integer in \[1, 1\]/);
    assert.throws(() => st.kmeansAnchors([[0, 1]], 1), /positive finite/);
  });
});
