import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../src/index.js';

// Large enough (>= 16384 elements) that backward passes take and return pooled buffers.
const N = 20000;

/** Values of a tensor as a plain array (a snapshot the pool cannot touch). */
const values = (t: st.Tensor): number[] => Array.from(t.data);

function expectEqual(got: st.Tensor, want: number[], msg: string): void {
  assert.equal(got.size, want.length, msg);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got.data[i]! - want[i]!) > 1e-5 * Math.max(1, Math.abs(want[i]!))) {
      assert.fail(`${msg}: element ${i} is ${got.data[i]}, expected ${want[i]}`);
    }
  }
}

describe('gradient buffers reused across backward passes', () => {
  it('give the analytic gradients step after step and never touch gradients handed out', () => {
    const rng = new st.Rng(1);
    const a = st.randn([N], { rng }).requiresGrad_();
    const b = st.randn([N], { rng }).requiresGrad_();
    const c = st.randn([N], { rng }).requiresGrad_();
    // d(sum((2a + b) * c + relu(a) + (2a + b)))/da = 2c + [a > 0] + 2, /db = c + 1, /dc = 2a + b.
    // (2a + b) feeds two branches, so its gradient is summed from two pending ones; add's backward
    // passes one gradient to both of its inputs (shared storage).
    const step = (): void => {
      const h = a.mul(2).add(b);
      h.mul(c).add(st.relu(a)).add(h).sum().backward();
    };
    const da = values(a).map((v, i) => 2 * c.data[i]! + (v > 0 ? 1 : 0) + 2);
    const db = values(c).map((v) => v + 1);
    const dc = values(a).map((v, i) => 2 * v + b.data[i]!);

    step();
    const first = [a.grad!, b.grad!, c.grad!];
    const firstValues = first.map(values);
    expectEqual(a.grad!, da, 'da, step 1');
    expectEqual(b.grad!, db, 'db, step 1');
    expectEqual(c.grad!, dc, 'dc, step 1');

    for (let s = 2; s <= 4; s++) {
      a.zeroGrad();
      b.zeroGrad();
      c.zeroGrad();
      step();
      expectEqual(a.grad!, da, `da, step ${s}`);
      expectEqual(b.grad!, db, `db, step ${s}`);
      expectEqual(c.grad!, dc, `dc, step ${s}`);
    }
    // The first step's gradient tensors still hold their values: the pool never reused them.
    first.forEach((t, i) => expectEqual(t, firstValues[i]!, `step-1 gradient ${i} after later steps`));

    // Without zeroGrad, gradients accumulate as before.
    step();
    expectEqual(
      a.grad!,
      da.map((v) => 2 * v),
      'accumulated da',
    );
  });

  it("leave the caller's seed gradient and the forward values alone", () => {
    const rng = new st.Rng(2);
    const x = st.randn([4, N / 4], { rng }).requiresGrad_();
    const seed = st.randn([4, N / 4], { rng });
    const seedValues = values(seed);
    for (let s = 0; s < 3; s++) {
      const y = x
        .mul(3)
        .reshape([N])
        .reshape([4, N / 4]);
      const yValues = values(y);
      x.zeroGrad();
      y.backward(seed);
      expectEqual(
        x.grad!,
        seedValues.map((v) => 3 * v),
        `dx, pass ${s + 1}`,
      );
      expectEqual(seed, seedValues, `seed after pass ${s + 1}`);
      expectEqual(y, yValues, `forward output after pass ${s + 1}`);
    }
  });

  it('train a convolution the same as with fresh arrays (SGD steps by hand)', () => {
    const rng = new st.Rng(3);
    const conv = new st.Conv2d(2, 3, 3, { padding: 1, rng });
    const x = st.randn([4, 2, 48, 48], { rng });
    const target = st.randn([4, 3, 48, 48], { rng });
    const opt = new st.SGD(conv.parameters(), { lr: 0.01 });
    // The same steps by hand, without autograd: the mean squared error's gradient pushed through
    // the convolution by its defining sums.
    const w = conv.weight.data.slice();
    const bias = conv.bias!.data.slice();
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      st.mseLoss(conv.forward(x), target).backward();
      opt.step();
      const y = st.noGrad(() =>
        st.conv2d(x, st.tensor(Array.from(w), [3, 2, 3, 3]), st.tensor(Array.from(bias)), { padding: 1 }),
      );
      const g = y.sub(target).mul(2 / y.size);
      // dL/db = sum of g over N, H, W.
      const gb = st.noGrad(() => g.sum([0, 2, 3]));
      for (let o = 0; o < 3; o++) bias[o] = bias[o]! - 0.01 * gb.data[o]!;
      // dL/dw[o, c, ky, kx] = sum over n, y, x of g[n, o, y, x] * x[n, c, y + ky - 1, x + kx - 1].
      for (let o = 0; o < 3; o++)
        for (let c = 0; c < 2; c++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              let acc = 0;
              for (let n = 0; n < 4; n++)
                for (let yy = 0; yy < 48; yy++)
                  for (let xx = 0; xx < 48; xx++) {
                    const iy = yy + ky - 1;
                    const ix = xx + kx - 1;
                    if (iy < 0 || iy >= 48 || ix < 0 || ix >= 48) continue;
                    acc +=
                      g.data[((n * 3 + o) * 48 + yy) * 48 + xx]! * x.data[((n * 2 + c) * 48 + iy) * 48 + ix]!;
                  }
              const k = ((o * 2 + c) * 3 + ky) * 3 + kx;
              w[k] = w[k]! - 0.01 * acc;
            }
      expectEqual(conv.weight, Array.from(w), `weights after step ${s + 1}`);
      expectEqual(conv.bias!, Array.from(bias), `bias after step ${s + 1}`);
    }
  });

  it('are kept between passes until freeGradientBuffers() releases them', () => {
    st.freeGradientBuffers(); // whatever earlier tests left
    const x = st.randn([N], { seed: 4 }).requiresGrad_();
    x.mul(2).exp().sum().backward();
    // The gradients of mul's and exp's outputs were consumed and kept for the next pass.
    assert.ok(st.freeGradientBuffers() >= N * 4, 'at least one float32 gradient of N values was kept');
    assert.equal(st.freeGradientBuffers(), 0, 'nothing is left after freeing');
    x.zeroGrad();
    x.mul(2).exp().sum().backward();
    expectEqual(
      x.grad!,
      values(x).map((v) => 2 * Math.exp(2 * v)),
      'gradient after freeing',
    );
  });
});
