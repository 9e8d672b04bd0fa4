/**
 * Typed errors. Every error Stride throws for bad input names the operation, what was expected,
 * what it got, and (where there is one) the fix.
 */

/** Base class of all errors raised by Stride for bad input. */
export class StrideError extends Error {
  /** The operation or component that refused the input (e.g. `conv2d`, `reshape`, `loadIdx`). */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'StrideError';
    this.op = op;
  }
}

function formatShape(shape: readonly number[] | string): string {
  return typeof shape === 'string' ? shape : `[${shape.join(', ')}]`;
}

/** A tensor had the wrong shape (rank, size, or incompatible dimensions). */
export class ShapeError extends StrideError {
  readonly expected: string;
  readonly got: string;
  constructor(
    op: string,
    what: string,
    expected: readonly number[] | string,
    got: readonly number[] | string,
    fix?: string,
  ) {
    const e = formatShape(expected);
    const g = formatShape(got);
    super(op, `${what}: expected ${e}, got ${g}${fix ? `. Fix: ${fix}` : ''}`);
    this.name = 'ShapeError';
    this.expected = e;
    this.got = g;
  }
}

/** Two tensors of different dtypes met in one operation. */
export class DTypeError extends StrideError {
  constructor(op: string, expected: string, got: string) {
    super(
      op,
      `dtype mismatch: expected ${expected}, got ${got}. Fix: convert one side with .to('${expected}')`,
    );
    this.name = 'DTypeError';
  }
}

/** An argument had an invalid value (a zero stride, a non-integer size, an unknown option). */
export class ValueError extends StrideError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = 'ValueError';
  }
}

/** Autograd was asked for something impossible (backward of a non-scalar without a gradient, ...). */
export class AutogradError extends StrideError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = 'AutogradError';
  }
}

/** Shorthand: format a shape the way error messages do. */
export function shapeStr(shape: readonly number[]): string {
  return formatShape(shape);
}
