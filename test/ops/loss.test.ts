import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface LossCase {
  kind: string;
  op: string;
  opts: {
    reduction?: st.Reduction;
    weight?: boolean;
    posWeight?: boolean;
    ignoreIndex?: number;
    labelSmoothing?: number;
    beta?: number;
    delta?: number;
  };
  input: FixtureTensor;
  target: FixtureTensor;
  weight?: FixtureTensor;
  posWeight?: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  d_input: FixtureTensor;
  d_target?: FixtureTensor;
}

type LossFn = (input: st.Tensor, target: st.Tensor, opts: Record<string, unknown>) => st.Tensor;

const LOSSES: Record<string, LossFn> = {
  crossEntropy: st.crossEntropy,
  nllLoss: st.nllLoss,
  binaryCrossEntropy: st.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: st.binaryCrossEntropyWithLogits,
  mseLoss: st.mseLoss,
  l1Loss: st.l1Loss,
  smoothL1Loss: st.smoothL1Loss,
  huberLoss: st.huberLoss,
};

const f64 = { dtype: 'float64' } as const;

/** Class indices in [0, C), with `ignored` of them replaced by `ignoreIndex`. */
function classTargets(shape: number[], C: number, rng: st.Rng, ignoreIndex = -100, ignored = 0): st.Tensor {
  const t = st.randint(0, C, shape, { ...f64, rng });
  for (let k = 0; k < ignored && k < t.size; k++) t.data[rng.int(0, t.size)] = ignoreIndex;
  return t;
}

describe('losses', () => {
  it('match PyTorch values and gradients for every configuration (float32)', () => {
    const cases = loadFixture<{ cases: LossCase[] }>('loss_act').cases.filter((c) => c.kind === 'loss');
    assert.equal(cases.length, 27);
    for (const c of cases) {
      const input = st.tensor(c.input.data, c.input.shape, { requiresGrad: true });
      const target = st.tensor(c.target.data, c.target.shape, { requiresGrad: c.d_target !== undefined });
      const opts: Record<string, unknown> = { ...c.opts };
      opts.weight = c.weight ? st.tensor(c.weight.data, c.weight.shape) : undefined;
      opts.posWeight = c.posWeight ? st.tensor(c.posWeight.data, c.posWeight.shape) : undefined;
      const out = LOSSES[c.op]!(input, target, opts);
      const label = `${c.op} ${JSON.stringify(c.opts)} input [${c.input.shape}]`;
      assert.deepEqual([...out.shape], c.out.shape, `${label} shape`);
      assertClose(out, c.out.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} forward` });
      out.backward(st.tensor(c.g.data, c.g.shape));
      assertClose(input.grad!, c.d_input.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} input gradient` });
      if (c.d_target) {
        assertClose(target.grad!, c.d_target.data, {
          rtol: 1e-4,
          atol: 1e-6,
          msg: `${label} target gradient`,
        });
      }
    }
  });

  it('crossEntropy of the deck’s logits [5, 2, -1, 3] with class 0 is -log 0.84203357', () => {
    const logits = st.tensor([[5, 2, -1, 3]], undefined, { requiresGrad: true });
    const loss = st.crossEntropy(logits, st.tensor([0]));
    assertClose(loss, [-Math.log(0.84203357)], { rtol: 1e-6 });
    // The gradient is softmax - onehot.
    loss.backward();
    assertClose(logits.grad!, [0.84203357 - 1, 0.04192238, 0.00208719, 0.11395685], {
      rtol: 1e-5,
      atol: 1e-7,
    });
  });

  it('crossEntropy passes float64 gradient checks: smoothing, weights, ignoreIndex, 4-D, probabilities', () => {
    const rng = new st.Rng(31);
    const reductions: st.Reduction[] = ['mean', 'sum', 'none'];
    for (let trial = 0; trial < 9; trial++) {
      const N = rng.int(1, 4);
      const C = rng.int(2, 6);
      const spatial =
        trial % 3 === 0 ? [] : trial % 3 === 1 ? [rng.int(1, 4)] : [rng.int(1, 3), rng.int(1, 4)];
      const shape = [N, C, ...spatial];
      const x = st
        .randn(shape, { ...f64, rng })
        .mul(2)
        .detach()
        .requiresGrad_();
      const weight = st.rand([C], { ...f64, rng, low: 0.5, high: 2 });
      const reduction = reductions[trial % 3]!;
      const opts = { reduction, weight, labelSmoothing: 0.15, ignoreIndex: 255 };
      const target = classTargets([N, ...spatial], C, rng, 255, 1);
      // Keep at least one sample counted so that 'mean' has a non-zero denominator.
      target.data[0] = 0;
      const label = `[${shape}] ${reduction}`;
      assert.ok(
        st.gradcheck((t) => st.crossEntropy(t, target, opts), [x]),
        `indices ${label}`,
      );
      assert.ok(
        st.gradcheck((t) => st.crossEntropy(t, target, { reduction, ignoreIndex: 255 }), [x]),
        `plain ${label}`,
      );
      const probs = st
        .softmax(st.randn(shape, { ...f64, rng }), 1)
        .detach()
        .requiresGrad_();
      assert.ok(
        st.gradcheck(
          (t, p) => st.crossEntropy(t!, p!, { reduction, weight, labelSmoothing: 0.1 }),
          [x, probs],
        ),
        `probabilities ${label}`,
      );
      const logp = st
        .logSoftmax(st.randn(shape, { ...f64, rng }), 1)
        .detach()
        .requiresGrad_();
      assert.ok(
        st.gradcheck((t) => st.nllLoss(t, target, opts), [logp]),
        `nllLoss ${label}`,
      );
    }
    // Unbatched: logits [C], target a 0-d class index.
    const x = st.randn([4], { ...f64, rng, requiresGrad: true });
    assert.ok(st.gradcheck((t) => st.crossEntropy(t, st.scalar(2, f64), { labelSmoothing: 0.3 }), [x]));
  });

  it('point-wise losses pass float64 gradient checks for input and target on random shapes', () => {
    const rng = new st.Rng(41);
    for (let trial = 0; trial < 4; trial++) {
      const shape = Array.from({ length: rng.int(1, 4) }, () => rng.int(1, 4));
      const reduction = (['mean', 'sum', 'none'] as const)[trial % 3];
      const x = st
        .randn(shape, { ...f64, rng })
        .mul(2)
        .detach()
        .requiresGrad_();
      const t = st
        .randn(shape, { ...f64, rng })
        .mul(2)
        .detach()
        .requiresGrad_();
      const check = (name: string, f: (a: st.Tensor, b: st.Tensor) => st.Tensor): void =>
        assert.ok(
          st.gradcheck((a, b) => f(a!, b!), [x, t]),
          `${name} [${shape}] ${reduction}`,
        );
      check('mse', (a, b) => st.mseLoss(a, b, { reduction }));
      check('l1', (a, b) => st.l1Loss(a, b, { reduction }));
      check('smoothL1', (a, b) => st.smoothL1Loss(a, b, { reduction, beta: 0.7 }));
      check('huber', (a, b) => st.huberLoss(a, b, { reduction, delta: 1.3 }));
      const last = shape[shape.length - 1]!;
      const weight = st.rand([last], { ...f64, rng, low: 0.5, high: 2 });
      const posWeight = st.rand([last], { ...f64, rng, low: 0.2, high: 3 });
      const soft = st.rand(shape, { ...f64, rng }).requiresGrad_();
      assert.ok(
        st.gradcheck(
          (a, b) => st.binaryCrossEntropyWithLogits(a!, b!, { reduction, weight, posWeight }),
          [x, soft],
        ),
      );
      const p = st.rand(shape, { ...f64, rng, low: 0.05, high: 0.95 }).requiresGrad_();
      assert.ok(st.gradcheck((a, b) => st.binaryCrossEntropy(a!, b!, { reduction, weight }), [p, soft]));
    }
  });

  it('follow PyTorch at the edges: clamped logs, huge logits, all targets ignored', () => {
    const one = st.tensor([1]);
    assert.equal(st.binaryCrossEntropy(st.tensor([0]), one).item(), 100);
    assert.equal(st.binaryCrossEntropy(one, one).item(), 0);
    const huge = st.binaryCrossEntropyWithLogits(st.tensor([1000, -1000]), st.tensor([0, 1]), {
      reduction: 'none',
    });
    assert.deepEqual(huge.toArray(), [1000, 1000]);
    const allIgnored = st.crossEntropy(st.zeros([2, 3]), st.tensor([-100, -100]));
    assert.ok(Number.isNaN(allIgnored.item()));
    // ignoreIndex may also be a valid class: those samples are skipped.
    const lossSkip = st.crossEntropy(
      st.tensor([
        [0, 0],
        [0, 5],
      ]),
      st.tensor([1, 0]),
      { ignoreIndex: 1 },
    );
    assertClose(lossSkip, [Math.log1p(Math.exp(5))], { rtol: 1e-6 });
    // smoothL1 with beta 0 is L1; huber = delta · smoothL1(beta = delta).
    const a = st.tensor([0.2, -3, 1.5]);
    const b = st.tensor([0, 0, 0]);
    assertClose(st.smoothL1Loss(a, b, { beta: 0 }), [(0.2 + 3 + 1.5) / 3]);
    assertClose(st.huberLoss(a, b, { delta: 2 }), [(0.02 + 2 * (3 - 1) + 0.5 * 1.5 * 1.5) / 3]);
  });

  it('refuse shape mismatches between logits and targets', () => {
    const logits = st.zeros([4, 5]);
    assert.throws(
      () => st.crossEntropy(logits, st.zeros([5])),
      (e: Error) =>
        e instanceof st.ShapeError &&
        /\[4\] \(class indices\)/.test(e.message) &&
        /\[4, 5\] \(probabilities\)/.test(e.message),
    );
    assert.throws(() => st.crossEntropy(st.zeros([2, 3, 4, 4]), st.zeros([2, 4, 3])), st.ShapeError);
    assert.throws(() => st.nllLoss(logits, st.zeros([4, 1])), st.ShapeError);
    assert.throws(() => st.crossEntropy(logits, st.zeros([4]), { weight: st.ones([4]) }), st.ShapeError);
    assert.throws(
      () => st.mseLoss(st.zeros([3, 1]), st.zeros([3])),
      (e: Error) => e instanceof st.ShapeError && /\[3, 1\]/.test(e.message) && /Fix:/.test(e.message),
    );
    assert.throws(
      () => st.binaryCrossEntropyWithLogits(logits, st.zeros([4, 5]), { posWeight: st.ones([3]) }),
      st.ShapeError,
    );
    assert.throws(() => st.l1Loss(logits, st.zeros([4, 5], f64)), st.DTypeError);
  });

  it('refuse a bad reduction name', () => {
    const x = st.zeros([2, 3]);
    for (const call of [
      () => st.crossEntropy(x, st.zeros([2]), { reduction: 'avg' as st.Reduction }),
      () => st.mseLoss(x, x, { reduction: 'elementwise_mean' as st.Reduction }),
      () => st.binaryCrossEntropy(x, x, { reduction: 'batchmean' as st.Reduction }),
    ]) {
      assert.throws(
        call,
        (e: Error) => e instanceof st.ValueError && /'mean', 'sum' or 'none'/.test(e.message),
      );
    }
  });

  it('refuse class indices out of range or not integers, naming the value and the valid range', () => {
    const logits = st.zeros([3, 5]);
    const isBad = (value: string) => (e: Error) =>
      e instanceof st.ValueError && e.message.includes(`= ${value} `) && e.message.includes('[0, 5)');
    assert.throws(() => st.crossEntropy(logits, st.tensor([0, 5, 1])), isBad('5'));
    assert.throws(() => st.crossEntropy(logits, st.tensor([0, -1, 1])), isBad('-1'));
    assert.throws(() => st.nllLoss(logits, st.tensor([1.5, 0, 1])), isBad('1.5'));
    assert.throws(
      () =>
        st.crossEntropy(
          st.zeros([1, 5, 2, 2]),
          st.tensor([
            [
              [0, 1],
              [7, 2],
            ],
          ]),
        ),
      isBad('7'),
    );
    // ignoreIndex is the one value outside the range that is allowed.
    assert.doesNotThrow(() => st.crossEntropy(logits, st.tensor([0, -100, 4])));
  });

  it('refuse other bad options', () => {
    const x = st.zeros([2, 3]);
    assert.throws(() => st.crossEntropy(x, st.zeros([2]), { labelSmoothing: 1.2 }), st.ValueError);
    assert.throws(() => st.binaryCrossEntropy(st.tensor([1.2]), st.tensor([1])), /sigmoid/);
    assert.throws(() => st.smoothL1Loss(x, x, { beta: -1 }), st.ValueError);
    assert.throws(() => st.huberLoss(x, x, { delta: 0 }), st.ValueError);
    assert.throws(() => st.crossEntropy(st.scalar(1), st.scalar(0)), st.ShapeError);
  });
});
