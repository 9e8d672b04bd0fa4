import { ValueError } from '../errors.js';
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/reference-backend.js';

const backends = new Map<string, Backend>([['reference', referenceBackend]]);
let active: Backend = referenceBackend;

/** Make a backend available under its name (the native loader calls this). */
export function registerBackend(b: Backend): void {
  backends.set(b.name, b);
}

/** The active backend's kernels (used by the ops layer). */
export function kernels(): Backend {
  return active;
}

/** Name of the active backend: `'native'`, `'wasm'` or `'reference'`. */
export function backend(): string {
  return active.name;
}

/** Names of every registered backend. */
export function listBackends(): string[] {
  return [...backends.keys()];
}

/** Switch the active backend by name. */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) {
    throw new ValueError(
      'setBackend',
      `no backend named '${name}'; available: ${listBackends().join(', ')}` +
        (name === 'native' ? ". The native addon did not load; build it with 'npm run build:native'" : ''),
    );
  }
  active = b;
}

/** Run `fn` with backend `name` active, then restore the previous one. */
export function withBackend<T>(name: string, fn: () => T): T {
  const prev = active.name;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(prev);
  }
}

/**
 * Run `fn` with the kernels of `b` active without registering `b` under a name, then restore the
 * previous backend. The inspection tools use it for their shape-only and counting backends, which
 * must never show up in {@link listBackends} or stay active after an error.
 */
export function withKernels<T>(b: Backend, fn: () => T): T {
  const prev = active;
  active = b;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
