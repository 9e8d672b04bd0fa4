/**
 * `Module.forwardAsync` and `Module.closeWorker`: a forward pass in a worker thread, so a long one
 * never blocks the event loop (Node only; the Node entry point `stride` imports this file, the
 * browser build has neither method).
 */
import { ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { ForwardWorkerClient, raisedInWorker } from './forward-worker-client-node.js';

declare module '../nn/module.js' {
  interface Module {
    /**
     * `model.forward(x)` run in a worker thread (Node only), so the event loop keeps serving
     * timers and sockets while it computes: the result equals `st.noGrad(() => model.forward(x))`
     * on the same backend (so in evaluation mode its conv-batch-norm chains run fused, as
     * `Sequential` and `Graph` run them under `noGrad`), as a tensor with no autograd history.
     *
     * The first call starts a worker for this model, which rebuilds it from its architecture (so
     * the model must be made of Stride layers in a Sequential or Graph: the zoo's models but
     * GoogLeNet; other modules are refused with a ValueError naming the layer). Each call sends
     * the worker the parameters and buffers that changed since the previous call, so training
     * between calls is seen by the next one (the values count as of the call); the training flags
     * and the backend (`st.backend()`) are those at the call, and the native kernels share the
     * main thread's thread count (`st.setNumThreads`). Calls run one at a time in call order. In
     * training mode batch norm updates its running statistics as `forward` does; they are written
     * back to the model when the promise resolves. Dropout draws from the worker's own generator.
     *
     * Errors in the forward pass (a wrong input shape, ...) reject the promise with the same error
     * class and message as `forward` throws; their stack is the worker's, followed by the frames
     * awaiting the call. The input is copied and `x` stays usable, unless `{ transfer: true }`:
     * then x's storage moves to the worker without a copy and `x` must not be used afterwards (its
     * data is left empty, as for a transferred ArrayBuffer); a tensor that is a view into a larger
     * buffer, or shares its storage with the model's weights, is copied all the same. The worker
     * does not keep the process alive when idle; {@link closeWorker} stops it.
     */
    forwardAsync(x: Tensor, options?: ForwardAsyncOptions): Promise<Tensor>;
    /**
     * Stop the worker thread that {@link forwardAsync} started for this model (if any) and free
     * its copy of the model; calls still queued reject with a StrideError. A later forwardAsync
     * starts a new worker. Resolves once the worker has exited.
     */
    closeWorker(): Promise<void>;
  }
}

/** Options of `Module.forwardAsync`. */
export interface ForwardAsyncOptions {
  /**
   * Move x's storage to the worker thread instead of copying it (default false); `x` is unusable
   * afterwards. For inputs made only for this call, such as a freshly stacked batch.
   */
  transfer?: boolean;
}

const clients = new WeakMap<Module, ForwardWorkerClient>();

Module.prototype.forwardAsync = async function (
  this: Module,
  x: Tensor,
  options: ForwardAsyncOptions = {},
): Promise<Tensor> {
  if (!(x instanceof Tensor)) {
    throw new ValueError(
      'forwardAsync',
      `expected a Tensor, got ${x === null ? 'null' : typeof x}. Fix: wrap the values with st.tensor(...)`,
    );
  }
  let client = clients.get(this);
  if (client && !client.fits(this)) {
    // The layers, a tensor or the worker changed: a new worker takes over, the old one finishes its queue.
    client.retire();
    client = undefined;
  }
  if (!client) {
    client = ForwardWorkerClient.create(this);
    clients.set(this, client);
  }
  try {
    return await client.forward(x, options.transfer === true);
  } catch (err) {
    // Resumed here, this thread's stack holds the frames awaiting the call: add them to the worker's.
    if (raisedInWorker(err))
      err.stack = `${err.stack ?? String(err)}\n${(new Error().stack ?? '').split('\n').slice(1).join('\n')}`;
    throw err;
  }
};

Module.prototype.closeWorker = async function (this: Module): Promise<void> {
  const client = clients.get(this);
  if (!client) return;
  clients.delete(this);
  await client.close();
};
