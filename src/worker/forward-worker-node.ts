/**
 * The entry point of the worker thread behind `Module.forwardAsync` (Node only). It rebuilds the
 * model from the architecture the main thread sends, keeps its parameters and buffers equal to the
 * main thread's copies as updates arrive with each request, and runs one forward pass per request,
 * in the order received, with the main thread's backend and training flags, without autograd.
 */
import { parentPort } from 'node:worker_threads';
import { noGrad } from '../autograd/grad-mode.js';
import { StrideError } from '../errors.js';
import '../index.js';
import { layerFromSpec } from '../io/layer-registry.js';
import type { Module } from '../nn/module.js';
import type { FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { moduleTree } from './module-tree.js';
import { transferError } from './transferred-error.js';
import { useBackend } from './use-backend-node.js';
import type {
  ForwardMessage,
  ForwardReply,
  FromWorker,
  InitMessage,
  StateUpdate,
  ToWorker,
} from './worker-messages.js';

interface Loaded {
  model: Module;
  modules: Module[];
  /** The state-dict tensors (sharing the model's storage), in the order of the main thread's list. */
  state: Tensor[];
  /** Indices into `state` of the buffers. */
  bufferIndices: number[];
}

let loaded: Loaded | null = null;

// An error raised in a forward here reaches the caller with this thread's stack: keep it deep
// enough to show the whole path from this file down through nested containers to the failing op
// (V8 keeps 10 frames by default, fewer than a fused Sequential inside a model takes).
Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 50);

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function init(msg: InitMessage): Loaded {
  const model = layerFromSpec(msg.spec);
  const byName = new Map(Object.entries(model.stateDict()));
  // stateDict() gives detached views; updates go to the live tensors so that their `version`
  // moves and what layers derived from them (folded, prepared convolution weights) is redone.
  const live = new Map<FloatArray, Tensor>();
  for (const t of [...model.parameters(), ...model.buffers()]) live.set(t.data, t);
  const bufferNames = new Set(model.namedBuffers().map(([n]) => n));
  const state: Tensor[] = [];
  const bufferIndices: number[] = [];
  for (const [i, name] of msg.stateNames.entries()) {
    const t = byName.get(name);
    if (!t) {
      throw new StrideError(
        'forwardAsync',
        `the model rebuilt in the worker thread has no parameter or buffer '${name}'; its serializer does not ` +
          'rebuild the layer exactly. Fix: make toConfig/fromConfig of that layer round-trip, or call model.forward(x)',
      );
    }
    byName.delete(name);
    state.push(live.get(t.data) ?? t);
    if (bufferNames.has(name)) bufferIndices.push(i);
  }
  if (byName.size > 0) {
    throw new StrideError(
      'forwardAsync',
      `the model rebuilt in the worker thread has state the original lacks (${[...byName.keys()].slice(0, 5).join(', ')}); ` +
        'its serializer does not rebuild the layer exactly. Fix: make toConfig/fromConfig of that layer round-trip, or call model.forward(x)',
    );
  }
  return { model, modules: moduleTree(model), state, bufferIndices };
}

function applyUpdates(m: Loaded, updates: readonly StateUpdate[]): void {
  for (const u of updates) {
    const t = m.state[u.index]!;
    t.data.set(u.data);
    t.markChanged();
  }
}

function forward(m: Loaded, msg: ForwardMessage): ForwardReply & { kind: 'result' } {
  useBackend(msg.backend);
  applyUpdates(m, msg.updates);
  if (msg.modes.length !== m.modules.length) {
    throw new StrideError(
      'forwardAsync',
      `the model has ${msg.modes.length} modules on the main thread and ${m.modules.length} in the worker; ` +
        'its structure changed after the first forwardAsync. Fix: call model.closeWorker() after changing the layers',
    );
  }
  msg.modes.forEach((training, i) => (m.modules[i]!.training = training));
  const input = new Tensor(msg.input.data, msg.input.shape);
  const out = noGrad(() => m.model.forward(input));
  const buffers = msg.modes.some((t) => t)
    ? m.bufferIndices.map((index) => ({ index, data: m.state[index]!.data.slice() }))
    : [];
  // The output's buffer is transferred (moved, not copied) to the main thread, so it must belong to
  // the output alone: copy it when it is shared with the input or the state (an identity or
  // reshape layer) or is a view into a larger buffer.
  const d = out.data;
  const shared =
    d.byteLength !== d.buffer.byteLength ||
    d.buffer === input.data.buffer ||
    m.state.some((t) => t.data.buffer === d.buffer);
  const data = shared ? d.slice() : d;
  return { kind: 'result', id: msg.id, output: { data, shape: out.shape }, buffers };
}

parentPort!.on('message', (msg: ToWorker) => {
  if (msg.kind === 'init') {
    try {
      loaded = init(msg);
    } catch (err) {
      send({ kind: 'init-failed', error: transferError(err) });
    }
    return;
  }
  try {
    if (!loaded) throw new StrideError('forwardAsync', 'the worker has no model (its initialization failed)');
    const reply = forward(loaded, msg);
    const transfer = [
      reply.output.data.buffer as ArrayBuffer,
      ...reply.buffers.map((b) => b.data.buffer as ArrayBuffer),
    ];
    send(reply, transfer);
  } catch (err) {
    send({ kind: 'error', id: msg.id, error: transferError(err) });
  }
});
