import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { countMacs } from '../inspect/flops.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import '../worker/module-async-node.js';
import type { ServedModel } from './served-model.js';
import { WorkerSupervisor } from './worker-supervisor.js';

/** One forward pass for the worker supervisor: the input and whether the worker may take its storage. */
interface RunJob {
  x: Tensor;
  owned: boolean;
}

/** How a server runs a served model on a batch, and whether it can right now. */
export interface ModelRunner {
  /**
   * The forward pass on `x`. `owned`: x was made for this call alone (a batch the batcher stacked),
   * so a worker thread may take its storage instead of a copy (x is empty afterwards).
   */
  run(x: Tensor, owned?: boolean): Promise<Tensor>;
  /** False while its worker thread is being restarted after a crash (always true on the main thread). */
  readonly ready: boolean;
  /** Where the forward passes run. */
  readonly where: 'worker thread' | 'main thread';
  /** Stop its worker thread, if it has one. */
  close(): Promise<void>;
}

/** Options of {@link startModelRunner}. */
export interface ModelRunnerOptions {
  /** Run big models in a worker thread (`model.forwardAsync`); false runs every model on the calling thread. */
  readonly workerThreads: boolean;
  /**
   * Models of fewer multiply-accumulates per sample than this (`st.countMacs`) run on the
   * calling thread even with workerThreads: their pass is shorter than the hop to a thread and back.
   */
  readonly mainThreadMacs: number;
  /** Wait before restarting a crashed worker thread, in ms (doubling per crash in a row, up to 30 s). */
  readonly restartDelayMs: number;
  /** Called each time a crashed worker thread has been replaced. */
  onRestart?(): void;
  /** Says where a model runs when it is not where asked, and what a crash did. */
  warn(message: string): void;
}

/** Multiply-accumulates per sample of `model` (Infinity when the model cannot be traced). */
function macsPerSample(model: ServedModel): number {
  try {
    return countMacs(model.module, model.inputShape).total;
  } catch {
    return Infinity;
  }
}

/**
 * How a server or queue worker runs `model`: in a worker thread (`model.forwardAsync`, so the
 * event loop stays free) when `workerThreads` is set, the model is bigger than `mainThreadMacs`
 * and it can be rebuilt there, else on the calling thread. The worker is started here with one
 * pass on zeros, so the first request does not pay for it, and is restarted when it crashes (see
 * {@link WorkerSupervisor}). A model that forwardAsync refuses (a custom Module subclass,
 * GoogLeNet) runs on the calling thread, and `warn` says so.
 */
export async function startModelRunner(model: ServedModel, o: ModelRunnerOptions): Promise<ModelRunner> {
  const inThread: ModelRunner = {
    run: (x) => Promise.resolve(noGrad(() => model.module.forward(x))),
    ready: true,
    where: 'main thread',
    close: () => Promise.resolve(),
  };
  if (!o.workerThreads || macsPerSample(model) < o.mainThreadMacs) return inThread;
  let supervisor: WorkerSupervisor<RunJob, Tensor>;
  try {
    supervisor = await WorkerSupervisor.start<RunJob, Tensor>({
      name: model.name,
      async start() {
        await model.module.forwardAsync(zeros([1, ...model.inputShape]));
        return {
          run: ({ x, owned }) => model.module.forwardAsync(x, { transfer: owned }),
          close: () => model.module.closeWorker(),
        };
      },
      restartDelayMs: o.restartDelayMs,
      maxRestartDelayMs: 30_000,
      onRestart: () => o.onRestart?.(),
      warn: o.warn,
    });
  } catch (e) {
    if (!(e instanceof ValueError) || e.op !== 'forwardAsync') throw e;
    o.warn(`model '${model.name}' runs on the main thread: ${e.message.split('. Fix:')[0]}`);
    await model.module.closeWorker();
    return inThread;
  }
  return {
    run: (x, owned = false) => supervisor.run({ x, owned }),
    get ready() {
      return supervisor.ready;
    },
    where: 'worker thread',
    close: () => supervisor.close(),
  };
}
