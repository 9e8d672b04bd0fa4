import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conv2dParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { convForwardReference, GEOMETRIES, params } from './conv-geometries.js';
import {
  addon,
  forEachConfig,
  nativeBackend,
  randomArray,
  skipWithoutAddon,
  supportedIsas,
} from './native-harness.js';

function tolerance(p: Conv2dParams, msg: string): { rtol: number; atol: number; msg: string } {
  const k = (p.inChannels / p.groups) * p.kH * p.kW;
  return { rtol: 1e-4, atol: 2e-6 * Math.sqrt(k + 1), msg };
}

/** The same convolution on a batch of `batch` images of the geometry's size. */
function withBatch(p: Conv2dParams, batch: number): Conv2dParams {
  return { ...p, batch };
}

describe('native prepared conv2d weights', { skip: skipWithoutAddon }, () => {
  // The GEMM paths are the ones that read packed weights; Winograd has its own tolerance test.
  before(() => addon?.setConvAlgorithm('gemm'));
  after(() => addon?.setConvAlgorithm('auto'));

  for (const [name, g] of GEOMETRIES) {
    it(`${name}: prepared forward equals the float64 reference`, () => {
      const rng = new Rng(name.length * 104729);
      forEachConfig((label) => {
        const native = nativeBackend();
        const p = params(g);
        const w = randomArray(rng, p.outChannels * (p.inChannels / p.groups) * p.kH * p.kW);
        const bias = randomArray(rng, p.outChannels);
        const prepared = native.prepareConv2dWeights(p, w);
        assert.equal(prepared.backend, native.name);
        // One preparation serves every input size: the geometry's batch and one more image.
        for (const q of [p, withBatch(p, p.batch + 1)]) {
          const x = randomArray(rng, q.batch * q.inChannels * q.inH * q.inW);
          for (const b of [null, bias]) {
            const got = new Float32Array(q.batch * q.outChannels * q.outH * q.outW).fill(Number.NaN);
            native.conv2dForwardPrepared(q, x, prepared, b, got);
            const msg = `${name} (${label}) batch ${q.batch}${b ? ' + bias' : ''}`;
            assertClose(got, convForwardReference(q, x, w, b), tolerance(q, msg));
          }
        }
      });
    });
  }

  it('reads its packed copy: weights changed after the first forward are not seen on the GEMM paths', () => {
    // Shows that later forwards skip packing. Depthwise convolutions read the weights unpacked, and
    // so do the stride-2 stems that run over the input's phases (they rearrange the weights per call).
    const rng = new Rng(5);
    const native = nativeBackend();
    for (const [name, g] of GEOMETRIES) {
      const p = params(g);
      if (p.groups > 1 && p.groups === p.inChannels && p.groups === p.outChannels) continue;
      if (name.includes('(input phases)')) continue;
      const w = randomArray(rng, p.outChannels * (p.inChannels / p.groups) * p.kH * p.kW);
      const original = w.slice();
      const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
      const prepared = native.prepareConv2dWeights(p, w);
      const got = new Float32Array(p.batch * p.outChannels * p.outH * p.outW);
      native.conv2dForwardPrepared(p, x, prepared, null, got); // packs
      w.fill(0);
      native.conv2dForwardPrepared(p, x, prepared, null, got);
      assertClose(got, convForwardReference(p, x, original, null), tolerance(p, name));
    }
  });

  it('packed under one instruction set, run under another: packs again for its micro-kernel', () => {
    const usable = supportedIsas();
    if (usable.length < 2) return;
    const rng = new Rng(11);
    const native = nativeBackend();
    const p = params({ batch: 2, c: 48, o: 30, h: 5, w: 40, k: [3, 3], pad: [1, 1, 1, 1] });
    const w = randomArray(rng, p.outChannels * p.inChannels * 9);
    const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
    try {
      const prepared = native.prepareConv2dWeights(p, w);
      for (const isa of [...usable, usable[0]!]) {
        addon!.setIsa(isa);
        const got = new Float32Array(p.batch * p.outChannels * p.outH * p.outW);
        native.conv2dForwardPrepared(p, x, prepared, null, got);
        assertClose(got, convForwardReference(p, x, w, null), tolerance(p, `run on ${isa}`));
      }
    } finally {
      addon!.setIsa(usable[0]!);
    }
  });

  it('float64 weights and handles of another backend run the normal kernel', () => {
    const rng = new Rng(3);
    const native = nativeBackend();
    const p = params({ batch: 2, c: 4, o: 6, h: 6, w: 6, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 });
    const w = randomArray(rng, p.outChannels * 2 * 9);
    const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
    const want = convForwardReference(p, x, w, null);
    const y64 = new Float64Array(want.length);
    native.conv2dForwardPrepared(
      p,
      Float64Array.from(x),
      native.prepareConv2dWeights(p, Float64Array.from(w)),
      null,
      y64,
    );
    assertClose(y64, want, { rtol: 1e-12, atol: 1e-12, msg: 'float64' });
    const y32 = new Float32Array(want.length);
    native.conv2dForwardPrepared(p, x, referenceBackend.prepareConv2dWeights(p, w), null, y32);
    assertClose(y32, want, tolerance(p, 'reference handle'));
  });
});
