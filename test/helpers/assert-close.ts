import assert from 'node:assert/strict';
import type { NestedArray, Tensor } from '../../src/index.js';

function flat(v: NestedArray | ArrayLike<number>): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return (v as NestedArray[]).flatMap((x) => flat(x));
  return Array.from(v as ArrayLike<number>);
}

/**
 * Assert that two arrays (tensors, typed arrays or nested arrays) hold the same shape of values
 * within |a - e| <= atol + rtol * |e| element-wise (or exactly equal, as infinities may be).
 * Reports the worst element.
 */
export function assertClose(
  actual: Tensor | NestedArray | ArrayLike<number>,
  expected: Tensor | NestedArray | ArrayLike<number>,
  opts: { atol?: number; rtol?: number; msg?: string } = {},
): void {
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  const isT = (v: unknown): v is Tensor => typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;
  if (isT(actual) && isT(expected))
    assert.deepEqual([...actual.shape], [...expected.shape], `${opts.msg ?? ''} shape`);
  const a = isT(actual) ? Array.from(actual.data) : flat(actual);
  const e = isT(expected) ? Array.from(expected.data) : flat(expected);
  assert.equal(a.length, e.length, `${opts.msg ?? ''} length ${a.length} vs ${e.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === e[i]) continue; // equal infinities are close
    const err = Math.abs(a[i]! - e[i]!) - (atol + rtol * Math.abs(e[i]!));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${opts.msg ?? 'values differ'}: element ${worst}: got ${a[worst]}, expected ${e[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}
