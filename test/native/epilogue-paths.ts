import type { Conv2dParams, ConvEpilogue } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { assertClose } from '../helpers/assert-close.js';
import { convEpilogueReference } from './conv-geometries.js';
import { forEachConfig, nativeBackend } from './native-harness.js';

/** Float32 tolerance for sums of k products. */
function tolerance(k: number, msg: string) {
  return { rtol: 1e-4, atol: 2e-6 * Math.sqrt(k + 1), msg };
}

/**
 * Check a convolution with every epilogue (bias always; without bias the two that bracket them:
 * none, and residual + activation) against the float64 reference, on every native configuration:
 * through this backend's prepared weights (first call arranges them, the second reads them), the
 * reference backend's handle, and (no epilogue) the unprepared forward. `name` starts each message.
 */
export function assertEpiloguePaths(
  name: string,
  p: Conv2dParams,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  residual: Float32Array,
): void {
  const k = (p.inChannels / p.groups) * p.kH * p.kW;
  const epilogues: [string, ConvEpilogue][] = [
    ['no epilogue', { residual: null, activation: null }],
    ['relu', { residual: null, activation: 'relu' }],
    ['relu6', { residual: null, activation: 'relu6' }],
    ['residual', { residual, activation: null }],
    ['residual + relu', { residual, activation: 'relu' }],
    ['residual + relu6', { residual, activation: 'relu6' }],
  ];
  const cases = epilogues.flatMap(([what, e]) => {
    const biases = !e.activation === !e.residual ? [bias, null] : [bias];
    return biases.map((b) => ({ what, e, b, want: convEpilogueReference(p, x, w, b, e) }));
  });
  forEachConfig((label) => {
    const native = nativeBackend();
    const prepared = [native.prepareConv2dWeights(p, w), referenceBackend.prepareConv2dWeights(p, w)];
    for (const { what, e, b, want } of cases) {
      for (const handle of prepared) {
        for (const call of handle === prepared[0] ? ['first', 'second'] : ['only']) {
          const got = new Float32Array(want.length).fill(Number.NaN);
          native.conv2dForwardPrepared(p, x, handle, b, got, e);
          const msg = `${name} (${label}, ${handle.backend} handle, ${call} call) ${what}${b ? ' + bias' : ''}`;
          assertClose(got, want, tolerance(k, msg));
        }
      }
      if (!e.residual && !e.activation) {
        const got = new Float32Array(want.length).fill(Number.NaN);
        native.conv2dForward(p, x, w, b, got);
        assertClose(got, want, tolerance(k, `${name} (${label}, unprepared)${b ? ' + bias' : ''}`));
      }
    }
  });
}
