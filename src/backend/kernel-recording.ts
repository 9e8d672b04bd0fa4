import type { Backend } from './backend.js';
import { kernels, withKernels } from './registry.js';

// Recording the kernel calls of one forward, so that later forwards of the same model on inputs of
// the same shape can run those calls again without the JavaScript around them (nn/inference-plan.ts).
// A call is recorded with the very arguments it received: the arrays it read and wrote, the
// geometry objects, the prepared weight handles. Every computation an op does on tensor values
// must go through a recorded call for a replay to reproduce it: the active backend's methods (the
// recording backend below wraps them), or `hostKernel` for the few loops ops still run in
// TypeScript. Preparing weights (`prepare...` methods) is not a call to repeat: the handle it
// returns is an argument of the calls that read it.

/** One recorded kernel call: `fn.apply(self, args)` does it again. */
export interface RecordedCall {
  readonly fn: (...args: never[]) => unknown;
  readonly self: unknown;
  readonly args: readonly unknown[];
}

let recording: RecordedCall[] | null = null;
/** Set when a recorded backend method returned a value (which the caller then used): the recording is unusable. */
let returnedValue = false;

const recorders = new WeakMap<Backend, Backend>();
const recorded = new WeakMap<Backend, Backend>();

/** The backend that records every kernel call on `b` (one per backend, so it is stable across recordings). */
function recorderFor(b: Backend): Backend {
  const known = recorders.get(b);
  if (known) return known;
  const wrapped = new Map<PropertyKey, unknown>();
  const r = new Proxy(b, {
    get(target, key) {
      const v = Reflect.get(target, key) as unknown;
      if (typeof v !== 'function' || (typeof key === 'string' && key.startsWith('prepare'))) return v;
      let w = wrapped.get(key);
      if (w === undefined || (w as { of?: unknown }).of !== v) {
        const f = v as (...args: unknown[]) => unknown;
        const rec = (...args: unknown[]): unknown => {
          recording?.push({ fn: f, self: target, args });
          const out = f.apply(target, args);
          if (out !== undefined) returnedValue = true;
          return out;
        };
        w = Object.assign(rec, { of: v });
        wrapped.set(key, w);
      }
      return w;
    },
  });
  recorders.set(b, r);
  recorded.set(r, b);
  return r;
}

/**
 * The backend `k` records onto, or `k` itself: what caches of prepared weights are keyed by, so that
 * a recorded forward reuses (and leaves) the handles the plain forwards use.
 */
export function unrecorded(k: Backend): Backend {
  return recorded.get(k) ?? k;
}

/**
 * Run `fn` with every kernel call on the active backend (and every {@link hostKernel} call)
 * recorded. Returns fn's value and the calls in order, or null for the calls when they cannot be
 * repeated (a backend method returned a value, or a recording was already running).
 */
export function recordKernelCalls<T>(fn: () => T): { value: T; calls: RecordedCall[] | null } {
  if (recording !== null) return { value: fn(), calls: null };
  const calls: RecordedCall[] = [];
  recording = calls;
  returnedValue = false;
  try {
    const value = withKernels(recorderFor(kernels()), fn);
    return { value, calls: returnedValue ? null : calls };
  } finally {
    recording = null;
  }
}

/**
 * Run `fn(...args)`, a computation on tensor storage done in TypeScript rather than by a backend,
 * so that a recorded forward repeats it. `fn` must depend on nothing but its arguments (a
 * module-level function, not a closure over the call's arrays).
 */
export function hostKernel<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  recording?.push({ fn: fn as (...args: never[]) => unknown, self: undefined, args });
  fn(...args);
}
