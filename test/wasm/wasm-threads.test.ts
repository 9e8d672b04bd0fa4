import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createNativeBackend } from '../../src/backend/native/native-backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { registerBackend } from '../../src/backend/registry.js';
import { DEFAULT_WASM_THREADS_URL, instantiateWasmAddon } from '../../src/backend/wasm/load-wasm.js';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

// The threaded module (stride-threads.wasm) under Node: helpers are worker_threads on its shared
// memory. The kernel suites in test/native/ run every case on it with 2 threads too
// (native-harness.ts); this file checks loading, the thread count and a whole training step at
// sizes where the kernels do split their work, against the reference backend.

/** Register the wasm module at `threads` threads under its own backend name. */
async function wasmBackendAt(threads: number): Promise<string> {
  const addon = await instantiateWasmAddon(undefined, threads);
  assert.equal(addon.getNumThreads(), threads);
  const name = `wasm-${threads}t`;
  registerBackend({ ...referenceBackend, ...createNativeBackend(addon, name) });
  return name;
}

/** A small ResNet-style step at 32x32 (convolutions of ~40 MFLOP, batch norm, pooling, a linear head). */
function trainingStep(backendName: string) {
  return st.withBackend(backendName, () => {
    st.manualSeed(11);
    const model = new st.nn.Sequential(
      new st.nn.Conv2d(3, 16, 3, { padding: 1 }),
      new st.nn.BatchNorm2d(16),
      new st.nn.ReLU(),
      new st.nn.Conv2d(16, 32, 3, { padding: 1 }),
      new st.nn.BatchNorm2d(32),
      new st.nn.ReLU(),
      new st.nn.MaxPool2d(2),
      new st.nn.Conv2d(32, 32, 3, { padding: 1 }),
      new st.nn.ReLU(),
      new st.nn.AdaptiveAvgPool2d(1),
      new st.nn.Flatten(),
      new st.nn.Linear(32, 10),
    );
    const x = st.randn([8, 3, 32, 32]);
    const labels = st.tensor([0, 1, 2, 3, 4, 5, 6, 7]);
    const opt = new st.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    opt.zeroGrad();
    const loss = st.crossEntropy(model.forward(x), labels);
    loss.backward();
    const grads = model.parameters().map((p) => Float32Array.from(p.grad!.data));
    opt.step();
    return { loss: loss.item(), grads, params: model.parameters().map((p) => Float32Array.from(p.data)) };
  });
}

describe('the threaded wasm module (stride-threads.wasm) in Node', () => {
  it('imports only its shared memory and stdio stubs, and exports the helpers’ entry points', async () => {
    const module = await WebAssembly.compile(readFileSync(fileURLToPath(DEFAULT_WASM_THREADS_URL)));
    const M = WebAssembly.Module as unknown as {
      imports(m: WebAssembly.Module): { module: string; name: string }[];
      exports(m: WebAssembly.Module): { name: string }[];
    };
    const imports = M.imports(module).map((i) => `${i.module}.${i.name}`);
    assert.ok(imports.includes('env.memory'));
    for (const i of imports) assert.match(i, /^env\.memory$|^wasi_snapshot_preview1\.fd_(close|seek|write)$/);
    const names = M.exports(module).map((e) => e.name);
    for (const n of ['stride_worker_loop', '__stack_pointer', '__wasm_init_tls', 'stride_set_threads'])
      assert.ok(names.includes(n), n);
  });

  it('a training step gives the reference backend’s numbers on 1, 2 and 3 threads', async () => {
    const want = trainingStep('reference');
    const serial = await instantiateWasmAddon(undefined, 1);
    assert.equal(serial.getNumThreads(), 1);
    registerBackend({ ...referenceBackend, ...createNativeBackend(serial, 'wasm-serial') });
    const runs = ['wasm-serial', await wasmBackendAt(2), await wasmBackendAt(3)].map((name) => ({
      name,
      got: trainingStep(name),
    }));
    for (const { name, got } of runs) {
      assertClose([got.loss], [want.loss], { rtol: 1e-5, atol: 1e-6, msg: `${name}: loss` });
      got.grads.forEach((g, i) =>
        assertClose(g, want.grads[i]!, { rtol: 1e-3, atol: 1e-4, msg: `${name}: gradient ${i}` }),
      );
      got.params.forEach((p, i) =>
        assertClose(p, want.params[i]!, { rtol: 1e-4, atol: 1e-5, msg: `${name}: parameter ${i}` }),
      );
    }
  });

  it('setNumThreads lowers the threads in use and is clamped to the helpers started', async () => {
    const addon = await instantiateWasmAddon(undefined, 3);
    addon.setNumThreads(2);
    assert.equal(addon.getNumThreads(), 2);
    addon.setNumThreads(64);
    assert.equal(addon.getNumThreads(), 3);
  });

  it('initWasmBackend() defaults to min(hardware threads, 4) here, and refuses another count later', async () => {
    await st.initWasmBackend();
    assert.equal(st.wasmThreads(), Math.min(availableParallelism(), 4));
    await assert.rejects(st.initWasmBackend({ threads: 7 }), /already loaded.*threads: 7/);
    await st.initWasmBackend(); // no count: nothing to refuse
  });

  it('says what is wrong with a bad thread count', async () => {
    await assert.rejects(st.initWasmBackend({ threads: 0 }), /integer from 1 to 256, got 0/);
    await assert.rejects(st.initWasmBackend({ threads: 2.5 }), /integer from 1 to 256, got 2.5/);
  });
});
