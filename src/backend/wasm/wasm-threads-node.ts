/** Lets the wasm backend start its helper threads under Node, as worker_threads. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HELPER_SOURCE, setHelperHost } from './wasm-threads.js';

const SOURCE = `${HELPER_SOURCE}
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (start) => strideHelper(start, (r) => parentPort.postMessage(r)));
`;

setHelperHost({
  hardwareThreads: availableParallelism(),
  spawn(start, ready) {
    const w = new Worker(SOURCE, { eval: true });
    // The helper never returns to its event loop; it must not keep the process alive.
    w.unref();
    w.once('message', (r: { error: string | null }) => ready(r.error));
    w.once('error', (e) => ready(e.message));
    w.postMessage(start);
    return { terminate: () => void w.terminate() };
  },
});
