/**
 * The entry point of a detector's worker thread (Node only): it builds its own copy of the
 * detector by name with `loadDetector`, then answers each photo with `st.detectImage`, so that
 * the decoding, the network and the box decoding run off the main thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { detectImage } from '../detection/detect-image-node.js';
import type { Detector } from '../detection/detector.js';
import { loadDetector } from '../detection/load-detectors-node.js';
import '../index.js';
import type { DetectReply, DetectRequest, DetectWorkerData } from './detect-worker-messages.js';
import { transferError } from './transferred-error.js';
import { useBackend } from './use-backend-node.js';

function send(message: DetectReply): void {
  parentPort!.postMessage(message);
}

const data = workerData as DetectWorkerData;
let detector: Detector | null = null;
try {
  useBackend(data.backend);
  detector = loadDetector(data.detector);
  send({ kind: 'ready' });
} catch (err) {
  send({ kind: 'init-failed', error: transferError(err) });
}

parentPort!.on('message', (msg: DetectRequest) => {
  const built = detector;
  if (!built) return;
  detectImage(built, msg.image, msg.opts).then(
    (found) => send({ kind: 'result', id: msg.id, ...found }),
    (err: unknown) => send({ kind: 'error', id: msg.id, error: transferError(err) }),
  );
});
