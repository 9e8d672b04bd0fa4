import { backend } from '../backend/registry.js';
import { detectImage, type Detection } from '../detection/detect-image-node.js';
import type { DetectOptions } from '../detection/detector.js';
import { loadDetector } from '../detection/load-detectors-node.js';
import { ImageFileError } from '../image/image-file-error.js';
import { DetectWorkerClient } from '../worker/detect-worker-client-node.js';
import { HttpError } from './http-error.js';
import type { ModelRunnerOptions } from './model-runner-node.js';
import type { ServedDetector } from './served-detector.js';
import { WorkerSupervisor } from './worker-supervisor.js';

/** One photo for a served detector: its encoded bytes and the detection options. */
export interface DetectJob {
  readonly image: Uint8Array;
  readonly opts: DetectOptions;
}

/** What `st.detectImage` answers: the photo's size and its boxes, highest score first. */
export interface DetectResult {
  width: number;
  height: number;
  detections: Detection[];
}

/** How a server runs a served detector, and how it stops it. */
export interface DetectorRunner {
  /** `st.detectImage` on one photo; an undecodable image is an HttpError 400. */
  run(job: DetectJob): Promise<DetectResult>;
  /** False while its worker thread is being restarted after a crash (always true on the main thread). */
  readonly ready: boolean;
  /** Stop its worker thread, if it has one. */
  close(): Promise<void>;
}

/** Options of {@link startDetectorRunner}: those of `startModelRunner` that apply to detectors. */
export type DetectorRunnerOptions = Omit<ModelRunnerOptions, 'mainThreadMacs'>;

/** `detect`, with an image that cannot be decoded turned into the client's mistake (400). */
async function undecodableIs400(detect: () => Promise<DetectResult>): Promise<DetectResult> {
  try {
    return await detect();
  } catch (e) {
    if (e instanceof ImageFileError) throw new HttpError(400, `the image could not be decoded: ${e.problem}`);
    throw e;
  }
}

/**
 * How a server runs `served`: in a worker thread holding its own copy (built by its `loadDetector`
 * name, so the event loop stays free while it detects) when `workerThreads` is set and the
 * detector was served by name, else on the calling thread, and `warn` says so. The thread is
 * started here and resolves once its detector is built, so ready means ready; it is restarted
 * when it crashes (see {@link WorkerSupervisor}).
 */
export async function startDetectorRunner(
  served: ServedDetector,
  o: DetectorRunnerOptions,
): Promise<DetectorRunner> {
  const name = served.pretrained;
  if (o.workerThreads && name !== undefined) {
    const supervisor = await WorkerSupervisor.start<DetectJob, DetectResult>({
      name: served.name,
      async start() {
        const client = await DetectWorkerClient.start(name, backend());
        return { run: (job) => client.detect(job.image, job.opts), close: () => client.close() };
      },
      restartDelayMs: o.restartDelayMs,
      maxRestartDelayMs: 30_000,
      onRestart: () => o.onRestart?.(),
      warn: o.warn,
    });
    return {
      run: (job) => undecodableIs400(() => supervisor.run(job)),
      get ready() {
        return supervisor.ready;
      },
      close: () => supervisor.close(),
    };
  }
  if (o.workerThreads) {
    o.warn(
      `detector '${served.name}' runs on the main thread: only detectors served by name (centernet, tiny-face, ssd-face) are rebuilt in a worker thread`,
    );
  }
  // A detector served by name is held unbuilt (lazyDetector): build it now, so ready means ready.
  const detector = name !== undefined ? loadDetector(name) : served.detector;
  return {
    run: (job) => undecodableIs400(() => detectImage(detector, job.image, job.opts)),
    ready: true,
    close: () => Promise.resolve(),
  };
}
