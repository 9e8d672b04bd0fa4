import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface RoiCase {
  name: string;
  op: 'roiAlign' | 'roiPool';
  args: st.RoiAlignOptions;
  x: FixtureTensor;
  boxes: FixtureTensor;
  y: FixtureTensor;
  g: FixtureTensor;
  gx: FixtureTensor;
}

// torchvision fixtures from scripts/fixtures/gen_detection.py.
const fixture = loadFixture<{ cases: { roi: RoiCase[] } }>('detection');
const t = (f: FixtureTensor, requiresGrad = false) =>
  st.fromArray(Float32Array.from(f.data), f.shape, { requiresGrad });

function run(c: RoiCase) {
  const x = t(c.x, true);
  const y = st[c.op](x, t(c.boxes), c.args);
  st.sum(st.mul(y, t(c.g))).backward();
  return { y, gx: x.grad! };
}

describe('roiAlign / roiPool against torchvision', () => {
  it('the fixture covers aligned both ways, sampling ratio 0 and > 0, outside boxes, empty lists', () => {
    const names = fixture.cases.roi.map((c) => c.name).join('\n');
    for (const s of ['aligned=True', 'aligned=False', 'sr0', 'sr2', 'outside', 'empty', 'roiPool'])
      assert.ok(names.includes(s), s);
  });
  for (const backend of st.listBackends()) {
    for (const c of fixture.cases.roi) {
      it(`${c.name} (${backend}): forward and input gradient`, () => {
        const { y, gx } = st.withBackend(backend, () => run(c));
        assertClose(y, t(c.y), { atol: 1e-5, msg: 'forward' });
        assertClose(gx, t(c.gx), { atol: 1e-5, msg: 'backward' });
      });
    }
  }

  it('a list of per-image [Ki, 4] boxes equals the [K, 5] form', () => {
    const x = st.randn([2, 3, 8, 8], { seed: 3 });
    const a = st.roiAlign(
      x,
      [
        st.tensor([[1, 1, 6, 5]]),
        st.tensor([
          [0, 0, 7, 7],
          [2, 2, 4, 6],
        ]),
      ],
      {
        outputSize: 2,
        samplingRatio: 2,
      },
    );
    const b = st.roiAlign(
      x,
      st.tensor([
        [0, 1, 1, 6, 5],
        [1, 0, 0, 7, 7],
        [1, 2, 2, 4, 6],
      ]),
      {
        outputSize: 2,
        samplingRatio: 2,
      },
    );
    assertClose(a, b, { atol: 0 });
  });

  it('refuses bad boxes with a clear error', () => {
    const x = st.zeros([1, 1, 4, 4]);
    const o = { outputSize: 2 };
    assert.throws(
      () => st.roiAlign(x, st.tensor([[0, 3, 0, 1, 2]]), o),
      /x2 < x1 or y2 < y1; expected corner format/,
    );
    assert.throws(
      () => st.roiPool(x, st.tensor([[1, 0, 0, 1, 1]]), o),
      /batch index 1.*expected an integer in \[0, 0\]/,
    );
    assert.throws(() => st.roiAlign(x, st.tensor([[0, NaN, 0, 1, 1]]), o), /non-finite/);
    assert.throws(() => st.roiAlign(x, st.tensor([[0, 0, 1, 1]]), o), /\[K, 5\]/);
    assert.throws(
      () => st.roiAlign(x, [st.tensor([[0, 0, 1, 1]]), st.tensor([[0, 0, 1, 1]])], o),
      /one \[Ki, 4\] tensor per image/,
    );
    assert.throws(() => st.roiAlign(x, st.tensor([[0, 0, 0, 1, 1]]), { outputSize: 0 }), /outputSize/);
  });
});
