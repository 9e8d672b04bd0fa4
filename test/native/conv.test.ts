import { after, before, describe, it } from 'node:test';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { GEOMETRIES, params, type Geometry } from './conv-geometries.js';
import { addon, forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

// Every geometry runs forward (with and without bias), backward-data and backward-filter.
function checkGeometry(name: string, g: Geometry, rng: Rng, label: string): void {
  const p = params(g);
  const native = nativeBackend();
  const cg = p.inChannels / p.groups;
  const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
  const w = randomArray(rng, p.outChannels * cg * p.kH * p.kW);
  const bias = randomArray(rng, p.outChannels);
  const ySize = p.batch * p.outChannels * p.outH * p.outW;
  const dy = randomArray(rng, ySize);
  const k = cg * p.kH * p.kW;
  const tol = { rtol: 1e-4, atol: 2e-6 * Math.sqrt(k + 1) };
  const msg = `${name} (${label})`;

  for (const b of [null, bias]) {
    const want = new Float32Array(ySize);
    const got = new Float32Array(ySize).fill(Number.NaN);
    referenceBackend.conv2dForward(p, x, w, b, want);
    native.conv2dForward(p, x, w, b, got);
    assertClose(got, want, { ...tol, msg: `${msg} forward${b ? ' + bias' : ''}` });
  }

  const dxWant = new Float32Array(x.length);
  const dxGot = new Float32Array(x.length).fill(Number.NaN);
  referenceBackend.conv2dBackwardData(p, dy, w, dxWant);
  native.conv2dBackwardData(p, dy, w, dxGot);
  const kData = (p.outChannels / p.groups) * p.kH * p.kW;
  assertClose(dxGot, dxWant, { rtol: 1e-4, atol: 2e-6 * Math.sqrt(kData + 1), msg: `${msg} backward-data` });

  const dwWant = new Float32Array(w.length);
  const dwGot = new Float32Array(w.length).fill(Number.NaN);
  referenceBackend.conv2dBackwardFilter(p, x, dy, dwWant);
  native.conv2dBackwardFilter(p, x, dy, dwGot);
  const kFilter = p.batch * p.outH * p.outW;
  assertClose(dwGot, dwWant, {
    rtol: 1e-4,
    atol: 2e-6 * Math.sqrt(kFilter + 1),
    msg: `${msg} backward-filter`,
  });
}

describe('native conv2d matches the reference', { skip: skipWithoutAddon }, () => {
  // These tolerances fit direct sums; 3x3 stride-1 shapes that Winograd would take are checked
  // against a bound suited to its rounding in winograd.test.ts, so here they use the GEMM paths.
  before(() => addon?.setConvAlgorithm('gemm'));
  after(() => addon?.setConvAlgorithm('auto'));

  for (const [name, g] of GEOMETRIES) {
    it(name, () => {
      const rng = new Rng(name.length * 7919);
      forEachConfig((label) => checkGeometry(name, g, rng, label));
    });
  }

  it('random geometries', () => {
    const rng = new Rng(99);
    forEachConfig((label) => {
      for (let t = 0; t < 6; t++) {
        const groups = rng.int(1, 3);
        const kh = rng.int(1, 4);
        const kw = rng.int(1, 4);
        const g: Geometry = {
          batch: rng.int(1, 3),
          c: groups * rng.int(1, 4),
          o: groups * rng.int(1, 5),
          h: rng.int(kh + 2, 12),
          w: rng.int(kw + 2, 12),
          k: [kh, kw],
          stride: [rng.int(1, 3), rng.int(1, 3)],
          pad: [rng.int(0, 2), rng.int(0, 2), rng.int(0, 2), rng.int(0, 2)],
          dilation: [rng.int(1, 2), rng.int(1, 2)],
          groups,
        };
        checkGeometry(`random ${JSON.stringify(g)}`, g, rng, label);
      }
    });
  });
});
