import { DataFileError } from '../data/data-file-error.js';
import { ImageFolderError } from '../data/image-folder-error.js';
import { AutogradError, DTypeError, ShapeError, StrideError, ValueError } from '../errors.js';
import { ImageFileError } from '../image/image-file-error.js';
import { ModelFileError } from '../io/model-file-error.js';
import { StateDictError } from '../nn/state-dict-error.js';

/** An error as it crosses a thread boundary: its class name, message, stack and own fields. */
export interface TransferredError {
  /** The `name` of its class (`'ShapeError'`, `'TypeError'`). */
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable fields (`op`, `expected`, `file`, ...), as structured clone copies them. */
  readonly fields: Readonly<Record<string, unknown>>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Classes rebuilt by name: Stride's errors and JavaScript's built-in ones. */
const CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['StrideError', StrideError],
  ['ShapeError', ShapeError],
  ['DTypeError', DTypeError],
  ['ValueError', ValueError],
  ['AutogradError', AutogradError],
  ['ModelFileError', ModelFileError],
  ['StateDictError', StateDictError],
  ['DataFileError', DataFileError],
  ['ImageFileError', ImageFileError],
  ['ImageFolderError', ImageFolderError],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

function cloneable(value: unknown): boolean {
  return (
    value === null ||
    ['string', 'number', 'boolean', 'undefined'].includes(typeof value) ||
    Array.isArray(value)
  );
}

/** Describe `err` (anything thrown) so that {@link reviveError} can rebuild it on another thread. */
export function transferError(err: unknown): TransferredError {
  if (!(err instanceof Error)) {
    return {
      name: 'Error',
      message: `a non-Error value was thrown: ${String(err)}`,
      stack: undefined,
      fields: {},
    };
  }
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k !== 'name' && k !== 'message' && k !== 'stack' && cloneable(v)) fields[k] = v;
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

/**
 * Rebuild an error sent by {@link transferError}: the same class (Stride's errors and the built-in
 * ones; any other class becomes a plain `Error` with the same name), message and fields. The stack
 * is the other thread's, followed by `stackTail` (where the receiving thread asked for the work).
 */
export function reviveError(t: TransferredError, stackTail: string): Error {
  const cls = CLASSES.get(t.name) ?? Error;
  const err = Object.create(cls.prototype as object) as Error;
  Object.defineProperty(err, 'message', { value: t.message, writable: true, configurable: true });
  for (const [k, v] of Object.entries(t.fields)) {
    Object.defineProperty(err, k, { value: v, writable: true, enumerable: true, configurable: true });
  }
  if (!Object.hasOwn(err, 'name') && err.name !== t.name) {
    Object.defineProperty(err, 'name', {
      value: t.name,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  const head = t.stack ?? `${t.name}: ${t.message}`;
  Object.defineProperty(err, 'stack', { value: `${head}\n${stackTail}`, writable: true, configurable: true });
  return err;
}
