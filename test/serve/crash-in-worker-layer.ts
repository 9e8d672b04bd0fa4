// A layer for the worker-restart test, imported by every worker thread through
// STRIDE_WORKER_IMPORT (and by the test itself, so the main thread can save the model's
// architecture): it passes its input through, except that in a worker thread an input whose first
// element is EXIT_INPUT ends the thread with process.exit(7), as a native crash path would.
import { isMainThread } from 'node:worker_threads';
import * as st from '../../src/node.js';

/** The first input element that makes the worker thread exit. */
export const EXIT_INPUT = -7777;

/** Identity, but ends its worker thread on {@link EXIT_INPUT}. */
export class CrashInWorker extends st.Module {
  forward(x: st.Tensor): st.Tensor {
    if (!isMainThread && x.data[0] === EXIT_INPUT) process.exit(7);
    return x;
  }
}

st.registerLayer({
  type: 'CrashInWorkerForServeTest',
  cls: CrashInWorker,
  toConfig: () => ({}),
  fromConfig: () => new CrashInWorker(),
});
