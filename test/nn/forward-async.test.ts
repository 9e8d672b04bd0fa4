import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import * as st from '../../src/node.js';

const entry = fileURLToPath(new URL('../../src/node.ts', import.meta.url));

/** Backends to compare on: the reference one always, the native one when its addon is built. */
const BACKENDS = st.nativeAvailable() ? ['reference', 'native'] : ['reference'];

function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const prev = st.backend();
  st.setBackend(name);
  return fn().finally(() => st.setBackend(prev));
}

/** Conv, batch norm, pooling and a classifier: every kind of state forwardAsync has to mirror. */
function smallNet(): st.Sequential {
  st.manualSeed(3);
  return new st.Sequential(
    new st.Conv2d(3, 6, 3, { padding: 1 }),
    new st.BatchNorm2d(6),
    new st.ReLU(),
    new st.MaxPool2d(2),
    new st.Flatten(),
    new st.Linear(6 * 4 * 4, 5),
  );
}

/** The same architecture holding the same values, to compute what forwardAsync should return. */
function twin(model: st.Sequential): st.Sequential {
  const copy = smallNet();
  const state = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
  copy.loadStateDict(state);
  copy.train(model.training);
  return copy;
}

/** What forwardAsync computes: the forward pass under noGrad (fused conv-batch-norm chains in eval mode). */
function infer(model: st.Module, x: st.Tensor): st.Tensor {
  return st.noGrad(() => model.forward(x));
}

function assertSame(got: st.Tensor, want: st.Tensor, msg?: string): void {
  assert.deepEqual([...got.shape], [...want.shape], msg);
  assert.deepEqual(Array.from(got.data), Array.from(want.data), msg);
}

/** Run a script (TypeScript, `'stride'` meaning this checkout) in a fresh Node process. */
function runScript(code: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stride-forward-async-'));
  try {
    const file = join(dir, 'script.mts');
    writeFileSync(file, code.replaceAll(`from 'stride'`, `from ${JSON.stringify(entry)}`));
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
      encoding: 'utf8',
      timeout: 120_000,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Module.forwardAsync', () => {
  const models: st.Module[] = [];
  const track = <M extends st.Module>(m: M): M => (models.push(m), m);
  after(async () => {
    for (const m of models) await m.closeWorker();
  });

  for (const name of BACKENDS) {
    it(`equals the synchronous forward exactly on the ${name} backend (Sequential and a zoo ResNet)`, async () => {
      await onBackend(name, async () => {
        const net = track(smallNet().eval());
        const x = st.randn([3, 3, 8, 8]);
        assertSame(await net.forwardAsync(x), infer(net, x), 'Sequential');
        const resnet = track(st.models.resnet18({ numClasses: 7 }).eval());
        const img = st.randn([1, 3, 32, 32]);
        assertSame(await resnet.forwardAsync(img), infer(resnet, img), 'resnet18');
      });
    });
  }

  it(
    'gives the same result while the main thread runs native kernels at the same time',
    { skip: st.nativeAvailable() ? false : 'native addon not built' },
    async () => {
      await onBackend('native', async () => {
        const resnet = track(st.models.resnet18({ numClasses: 10 }).eval());
        const other = smallNet().eval();
        const x = st.randn([2, 3, 64, 64]);
        const want = infer(resnet, x);
        const pending = resnet.forwardAsync(x);
        let settled = false;
        void pending.finally(() => (settled = true));
        let mainCalls = 0;
        const busyInput = st.randn([16, 3, 8, 8]);
        while (!settled) {
          other.forward(busyInput);
          mainCalls++;
          await new Promise((r) => setImmediate(r));
        }
        assertSame(await pending, want);
        assert.ok(mainCalls > 0);
      });
    },
  );

  it('keeps the event loop running while a long forward pass is in flight', async () => {
    // About a second on the reference backend: the main thread would be stuck that long if the
    // pass ran on it, and an interval could not fire before the promise settles.
    await onBackend('reference', async () => {
      const resnet = track(st.models.resnet18({ numClasses: 10 }).eval());
      const x = st.randn([1, 3, 64, 64]);
      await resnet.forwardAsync(st.randn([1, 3, 32, 32])); // start the worker outside the window
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        const pending = resnet.forwardAsync(x);
        const ticksWhenCalled = ticks;
        await pending;
        assert.ok(ticks > ticksWhenCalled, 'the interval never fired while the forward pass ran');
      } finally {
        clearInterval(timer);
      }
    });
  });

  it('sees weights changed by training between calls, as they were at each call', async () => {
    const net = track(smallNet().eval());
    const x = st.randn([2, 3, 8, 8]);
    const before = infer(net, x);
    assertSame(await net.forwardAsync(x), before, 'before training');

    const opt = new st.SGD(net.parameters(), { lr: 0.5 });
    const step = (): void => {
      opt.zeroGrad();
      st.mseLoss(net.forward(x), st.ones([2, 5])).backward();
      opt.step();
    };
    step();
    const trained = infer(net, x);
    assert.notDeepEqual(Array.from(trained.data), Array.from(before.data), 'the step changed nothing');
    assertSame(await net.forwardAsync(x), trained, 'after one step');

    // The values at the call count, not those when the worker gets to it.
    const pending = net.forwardAsync(x);
    step();
    assertSame(await pending, trained, 'a step made after the call');
    assertSame(await net.forwardAsync(x), infer(net, x), 'after the second step');
  });

  it('runs queued calls in order, each with its own input, and leaves the input usable', async () => {
    const net = track(smallNet().eval());
    const inputs = [1, 2, 3].map((n) => st.randn([n, 3, 8, 8]));
    const outs = await Promise.all(inputs.map((x) => net.forwardAsync(x)));
    outs.forEach((y, i) => assertSame(y, infer(net, inputs[i]!), `call ${i}`));
    assert.equal(inputs[2]!.data.length, 3 * 3 * 8 * 8);
    assert.equal(outs[0]!.requiresGrad, false);
  });

  it('with { transfer: true } moves a tensor it owns to the worker, and copies views and weights', async () => {
    const net = track(smallNet().eval());
    const x = st.randn([2, 3, 8, 8]);
    const want = infer(net, x.clone());
    assertSame(await net.forwardAsync(x, { transfer: true }), want, 'a transferred input');
    assert.equal(x.data.byteLength, 0, "x's storage moved to the worker");

    // A view into a larger buffer is copied: the rest of the buffer stays with its owner.
    const big = st.randn([3, 3, 8, 8]);
    const view = new st.Tensor(big.data.subarray(0, 2 * 3 * 64), [2, 3, 8, 8]);
    assertSame(await net.forwardAsync(view, { transfer: true }), infer(net, view), 'a view');
    assert.equal(big.data.length, 3 * 3 * 64, 'the view and its buffer stay usable');

    // An input sharing its storage with a weight is copied: the model keeps its weights.
    const lin = track(new st.Sequential(new st.Linear(4, 4)).eval());
    const w = lin.parameters()[0]!;
    const alias = new st.Tensor(w.data, [4, 4]);
    const viaWeights = infer(lin, alias);
    assertSame(await lin.forwardAsync(alias, { transfer: true }), viaWeights, 'input aliasing a weight');
    assert.equal(w.data.length, 16, 'the weight kept its storage');
    assertSame(await lin.forwardAsync(alias), viaWeights, 'and the worker still has it');
  });

  it('follows train and eval mode: batch statistics and running-stat updates in training mode', async () => {
    const net = track(smallNet().train());
    const ref = twin(net);
    for (const [i, x] of [st.randn([4, 3, 8, 8]), st.randn([4, 3, 8, 8])].entries()) {
      assertSame(await net.forwardAsync(x), ref.forward(x), `training-mode output ${i}`);
      const bn = net.getSubmodule('1');
      const refBn = ref.getSubmodule('1');
      for (const b of ['running_mean', 'running_var', 'num_batches_tracked'])
        assertSame(bn.getBuffer(b)!, refBn.getBuffer(b)!, `${b} after call ${i}`);
    }
    net.eval();
    ref.eval();
    const x = st.randn([2, 3, 8, 8]);
    assertSame(await net.forwardAsync(x), infer(ref, x), 'eval-mode output');
  });

  it('rejects with the error class and message the synchronous forward throws', async () => {
    const net = track(smallNet().eval());
    const bad = st.randn([2, 4, 8, 8]);
    let syncError: Error | undefined;
    try {
      net.forward(bad);
    } catch (e) {
      syncError = e as Error;
    }
    assert.ok(syncError instanceof st.ShapeError);
    await assert.rejects(net.forwardAsync(bad), (e: Error) => {
      assert.ok(e instanceof st.ShapeError, `got ${e.constructor.name}`);
      assert.equal(e.message, syncError!.message);
      assert.equal((e as st.ShapeError).op, (syncError as st.ShapeError).op);
      return true;
    });
    // The stack: the worker's, then the frames awaiting the call (captured only when it fails).
    async function awaitingCaller(): Promise<void> {
      await net.forwardAsync(bad);
    }
    await assert.rejects(awaitingCaller(), (e: Error) => {
      assert.match(e.stack ?? '', /forward-worker-node/, "the worker's frames");
      assert.match(e.stack ?? '', /awaitingCaller/, "the caller's frames");
      return true;
    });
    // The worker survives a failed call.
    const x = st.randn([1, 3, 8, 8]);
    assertSame(await net.forwardAsync(x), infer(net, x));
  });

  it('handles a layer used twice (tied weights), including updates to it', async () => {
    const shared = new st.Linear(4, 4);
    const net = track(new st.Sequential(shared, new st.Tanh(), shared).eval());
    const x = st.randn([2, 4]);
    assertSame(await net.forwardAsync(x), net.forward(x), 'first call');
    // Written directly, so marked as changed (as every cache of values derived from weights needs).
    shared.weight.data.fill(0.25);
    shared.weight.markChanged();
    assertSame(await net.forwardAsync(x), net.forward(x), 'after changing the shared weight');
  });

  it('sends a parameter when its version moved, not by comparing values: an unmarked write is not seen', async () => {
    const lin = new st.Linear(4, 2);
    const net = track(new st.Sequential(lin).eval());
    const x = st.randn([1, 4]);
    const first = await net.forwardAsync(x);
    lin.weight.data.fill(0.5);
    // The worker keeps the weights it was sent (it is neither rebuilt nor sent the values again).
    assertSame(await net.forwardAsync(x), first, 'after a write without markChanged');
    lin.weight.markChanged();
    assertSame(await net.forwardAsync(x), net.forward(x), 'after markChanged');
  });

  it('picks up a replaced layer', async () => {
    const net = track(smallNet().eval());
    const x = st.randn([2, 3, 8, 8]);
    await net.forwardAsync(x);
    net.setSubmodule('5', new st.Linear(6 * 4 * 4, 2));
    const y = await net.forwardAsync(x);
    assert.deepEqual([...y.shape], [2, 2]);
    assertSame(y, infer(net, x));
  });

  it('refuses a custom Module subclass with a message saying what to do', async () => {
    class TwoLayer extends st.Module {
      fc = new st.Linear(4, 2);
      forward(x: st.Tensor): st.Tensor {
        return st.relu(this.fc.forward(x));
      }
    }
    const m = new TwoLayer();
    await assert.rejects(m.forwardAsync(st.randn([1, 4])), (e: Error) => {
      assert.ok(e instanceof st.ValueError);
      assert.match(e.message, /^forwardAsync: TwoLayer cannot run in a worker thread/);
      assert.match(e.message, /'\(root\)' is a TwoLayer, which has no saved form/);
      assert.match(e.message, /Sequential or Graph/);
      assert.match(e.message, /model\.forward\(x\)/);
      return true;
    });
  });

  it('explains that layers registered on the main thread only cannot be rebuilt in the worker', async () => {
    class Doubler extends st.Module {
      forward(x: st.Tensor): st.Tensor {
        return st.mul(x, st.scalar(2));
      }
    }
    st.registerLayer({
      type: 'DoublerForAsyncTest',
      cls: Doubler,
      toConfig: () => ({}),
      fromConfig: () => new Doubler(),
    });
    const net = track(new st.Sequential(new st.Linear(3, 2), new Doubler()));
    await assert.rejects(net.forwardAsync(st.randn([1, 3])), (e: Error) => {
      assert.ok(e instanceof st.ValueError, `got ${e.constructor.name}`);
      assert.match(e.message, /could not rebuild Sequential/);
      assert.match(e.message, /unknown layer type "DoublerForAsyncTest"/);
      assert.match(e.message, /model\.forward\(x\)/);
      return true;
    });
  });

  it('refuses a backend that exists on the main thread only', async () => {
    st.registerBackend({ ...referenceBackend, name: 'main-thread-only' });
    const net = track(smallNet().eval());
    await onBackend('main-thread-only', async () => {
      await assert.rejects(net.forwardAsync(st.randn([1, 3, 8, 8])), (e: Error) => {
        assert.ok(e instanceof st.ValueError);
        assert.match(e.message, /'main-thread-only' exists on the main thread only/);
        return true;
      });
    });
  });

  it('rejects calls still queued when closeWorker is called, and starts afresh afterwards', async () => {
    const net = track(smallNet().eval());
    const x = st.randn([2, 3, 8, 8]);
    const refused = assert.rejects(
      net.forwardAsync(x),
      (e: Error) => e instanceof st.StrideError && /closeWorker/.test(e.message),
    );
    await net.closeWorker();
    await refused;
    assertSame(await net.forwardAsync(x), infer(net, x));
  });

  it('lets the process exit without closeWorker, and after it', () => {
    const script = (close: boolean) => `
      import * as st from 'stride';
      const net = new st.Sequential(new st.Conv2d(1, 2, 3), new st.Flatten(), new st.Linear(2 * 4 * 4, 3)).eval();
      const y = await net.forwardAsync(st.ones([1, 1, 6, 6]));
      console.log(y.shape.join('x'));
      ${close ? 'await net.closeWorker();' : ''}
    `;
    for (const close of [false, true]) {
      const r = runScript(script(close));
      assert.equal(r.status, 0, `close=${close}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), '1x3', `close=${close}`);
    }
  });

  it('is absent from the portable core, which never loads node:worker_threads', () => {
    // Every module the browser entry reaches, following relative imports from src/index.ts.
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes("'node:worker_threads'"), `${file} imports node:worker_threads`);
      for (const [, spec] of text.matchAll(/(?:from|import)\s+'(\.[^']+)'/g))
        visit(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
    };
    visit(fileURLToPath(new URL('../../src/index.ts', import.meta.url)));
    assert.ok(seen.size > 50, `only ${seen.size} modules reached`);
    assert.ok(![...seen].some((f) => f.includes(`${join('src', 'worker')}`) && f.endsWith('-node.ts')));
    const core = entry.replace(/node\.ts$/, 'index.ts');
    const r = runScript(
      `import * as st from ${JSON.stringify(core)};\n` +
        'console.log(typeof (new st.Linear(1, 1) as unknown as Record<string, unknown>).forwardAsync);',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'undefined');
  });
});
