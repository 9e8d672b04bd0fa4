import { ValueError } from '../../errors.js';
import { listBackends, registerBackend, setBackend } from '../registry.js';
import { loadNativeAddon } from './load-addon.js';
import { createNativeBackend } from './native-backend.js';
import type { NativeAddon } from './native-addon.js';

let addon: NativeAddon | null = null;
let registered = false;

/**
 * Load the native addon, register the 'native' backend and make it the active one (unless the
 * environment variable `STRIDE_BACKEND` names another registered backend; a name that is none
 * prints one line and is ignored). Without the addon it prints one line saying how to build it
 * and Stride stays on 'reference'. Returns whether native is available.
 * Called once by the Node entry point (`src/node.ts`); calling it again does nothing more.
 */
export function registerNativeBackend(): boolean {
  if (registered) return addon !== null;
  registered = true;
  addon = loadNativeAddon();
  if (addon) registerBackend(createNativeBackend(addon));
  const fallback = addon ? 'native' : 'reference';
  const wanted = process.env['STRIDE_BACKEND'];
  const problem = backendEnvProblem(wanted, listBackends(), addon !== null);
  if (problem) console.warn(problem);
  // 'wasm' is set once it has loaded (asynchronously); until then the fallback runs.
  setBackend(wanted && !problem && listBackends().includes(wanted) ? wanted : fallback);
  return addon !== null;
}

/**
 * The one line to print when `STRIDE_BACKEND` names no registered backend (null when it is unset,
 * empty or valid). A missing addon already printed how to build it, so 'native' adds nothing.
 */
export function backendEnvProblem(
  wanted: string | undefined,
  available: readonly string[],
  nativeLoaded: boolean,
): string | null {
  if (!wanted || available.includes(wanted)) return null;
  // 'wasm' loads asynchronously (st.initWasmBackend; the CLI loads it before a command runs).
  if (wanted === 'wasm') return null;
  if (wanted === 'native' && !nativeLoaded) return null;
  return `stride: STRIDE_BACKEND='${wanted}' names no backend (available: ${available.join(', ')}); using '${nativeLoaded ? 'native' : 'reference'}'`;
}

/** Whether the native addon loaded. */
export function nativeAvailable(): boolean {
  return addon !== null;
}

/**
 * Set how many threads the native kernels use (the calling thread included; the default is the
 * number of CPU cores). Small kernels stay on one thread whatever this says.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new ValueError('setNumThreads', `expected an integer from 1 to 256, got ${n}`);
  }
  addon?.setNumThreads(n);
}

/** Threads the native kernels use (1 when the native backend is not available). */
export function getNumThreads(): number {
  return addon ? addon.getNumThreads() : 1;
}

/**
 * The native instruction-set family in use ('avx512', 'avx2' or 'scalar') and the best one this
 * CPU supports; null without the addon.
 */
export function nativeIsa(): { active: string; detected: string } | null {
  return addon ? addon.getIsa() : null;
}

/**
 * Force the native kernels onto an instruction-set family the CPU supports (tests use this to
 * cover every code path). Returns false when the CPU lacks it or the addon is missing.
 */
export function setNativeIsa(name: 'avx512' | 'avx2' | 'scalar'): boolean {
  return addon ? addon.setIsa(name) : false;
}
