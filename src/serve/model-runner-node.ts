import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import '../worker/module-async-node.js';
import type { ServedModel } from './served-model.js';

/** Runs a served model on a batch. */
export type ModelRunner = (x: Tensor) => Promise<Tensor>;

/**
 * How a server or queue worker runs `model`: in a worker thread (`model.forwardAsync`, so the
 * event loop stays free) when `workerThreads` is set and the model can be rebuilt there, else on
 * the calling thread. The worker is started here with one pass on zeros, so the first request does
 * not pay for it. A model that forwardAsync refuses (a custom Module subclass, GoogLeNet) runs on
 * the calling thread, and `warn` says so.
 */
export async function startModelRunner(
  model: ServedModel,
  workerThreads: boolean,
  warn: (message: string) => void,
): Promise<ModelRunner> {
  const inThread: ModelRunner = (x) => Promise.resolve(noGrad(() => model.module.forward(x)));
  if (!workerThreads) return inThread;
  try {
    await model.module.forwardAsync(zeros([1, ...model.inputShape]));
  } catch (e) {
    if (!(e instanceof ValueError) || e.op !== 'forwardAsync') throw e;
    warn(`model '${model.name}' runs on the main thread: ${e.message.split('. Fix:')[0]}`);
    await model.module.closeWorker();
    return inThread;
  }
  return (x) => model.module.forwardAsync(x);
}
