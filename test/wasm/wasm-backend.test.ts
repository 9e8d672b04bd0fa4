import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACTIVATION_OPS } from '../../src/backend/reference/activation.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { kernels } from '../../src/backend/registry.js';
import { DEFAULT_WASM_URL, instantiateWasmAddon } from '../../src/backend/wasm/load-wasm.js';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

// The kernels themselves are checked against the reference backend by the suites in test/native/
// (their forEachConfig runs every case on the wasm module too). This file checks the module's
// build, its loading and a whole training step.

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Why the build test skips: clang cannot compile for wasm32-wasi here (.ci/run installs it). */
const skipWithoutClang: string | false =
  spawnSync('clang++', ['--target=wasm32-wasi', '-x', 'c++', '-fsyntax-only', '-'], {
    input: '#include <vector>\n',
    encoding: 'utf8',
  }).status === 0
    ? false
    : 'clang for wasm32-wasi missing: install Debian clang lld wasi-libc libc++-dev-wasm32';

describe('the shipped stride.wasm', () => {
  it('and stride-threads.wasm were built from the current native sources (else: node scripts/build-wasm.mjs)', () => {
    const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  });

  it(
    'the sources build with Debian clang for wasm32 into modules with the same exports',
    { skip: skipWithoutClang, timeout: 600_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stride-wasm-build-'));
      try {
        const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--out', dir], {
          cwd: root,
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, r.stderr);
        const exportsOf = async (file: string) => {
          const { exports } = WebAssembly.Module as unknown as {
            exports(m: WebAssembly.Module): { name: string }[];
          };
          return exports(await WebAssembly.compile(readFileSync(file)))
            .map((e) => e.name)
            .sort();
        };
        // Both modules: the single-threaded one and the threaded one (stride-threads.wasm).
        for (const binary of ['stride.wasm', 'stride-threads.wasm']) {
          assert.deepEqual(
            await exportsOf(join(dir, binary)),
            await exportsOf(join(root, 'src/backend/wasm', binary)),
            binary,
          );
          assert.equal(
            readFileSync(join(dir, `${binary}.sha256`), 'utf8'),
            readFileSync(join(root, `src/backend/wasm/${binary}.sha256`), 'utf8'),
            binary,
          );
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('imports nothing from its host: it runs in any WebAssembly engine with SIMD128', async () => {
    const module = await WebAssembly.compile(readFileSync(fileURLToPath(DEFAULT_WASM_URL)));
    const { imports } = WebAssembly.Module as unknown as { imports(m: WebAssembly.Module): unknown[] };
    assert.deepEqual(imports(module), []);
  });

  it('has every activation kernel of the reference table and the wrapper’s parameter layouts', async () => {
    const addon = await instantiateWasmAddon();
    assert.deepEqual([...addon.activationNames!()].sort(), [...ACTIVATION_OPS].sort());
    const layouts = addon.paramLayouts!();
    assert.equal(
      layouts.conv.join(),
      'batch,inChannels,inH,inW,outChannels,kH,kW,strideH,strideW,padTop,padLeft,dilationH,dilationW,groups,outH,outW',
    );
    assert.equal(layouts.pool.length, 17);
  });
});

describe("st.initWasmBackend and the 'wasm' backend", () => {
  it("registers 'wasm' once; every Backend method exists (the module's or the reference kernel)", async () => {
    await st.initWasmBackend();
    await st.initWasmBackend(); // a second call changes nothing
    assert.ok(st.wasmAvailable());
    assert.ok(st.listBackends().includes('wasm'));
    st.withBackend('wasm', () => {
      assert.equal(st.backend(), 'wasm');
      const b = kernels();
      for (const key of Object.keys(referenceBackend)) {
        assert.equal(
          typeof (b as unknown as Record<string, unknown>)[key],
          typeof (referenceBackend as unknown as Record<string, unknown>)[key],
          key,
        );
      }
    });
  });

  it('loads from bytes, an ArrayBuffer or a compiled WebAssembly.Module, and says what is wrong with a bad source', async () => {
    const bytes = readFileSync(fileURLToPath(DEFAULT_WASM_URL));
    const module = await WebAssembly.compile(bytes);
    for (const source of [
      bytes,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      module,
    ]) {
      const addon = await instantiateWasmAddon(source);
      assert.equal(addon.getNumThreads(), 1);
    }
    await assert.rejects(instantiateWasmAddon(new URL('file:///nonexistent/stride.wasm')), /ENOENT/);
  });

  it('a LeNet-5 training step (forward, cross-entropy, backward, SGD) equals the reference one', async () => {
    await st.initWasmBackend();
    const step = (backendName: string) =>
      st.withBackend(backendName, () => {
        st.manualSeed(5);
        const model = st.models.lenet5({ variant: 'modern' });
        const x = st.randn([8, 1, 28, 28]);
        const labels = st.tensor([0, 1, 2, 3, 4, 5, 6, 7]);
        const opt = new st.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
        opt.zeroGrad();
        const loss = st.crossEntropy(model.forward(x), labels);
        loss.backward();
        const grads = model.parameters().map((p) => Float32Array.from(p.grad!.data));
        opt.step();
        return { loss: loss.item(), grads, params: model.parameters().map((p) => Float32Array.from(p.data)) };
      });
    const want = step('reference');
    const got = step('wasm');
    assertClose([got.loss], [want.loss], { rtol: 1e-5, atol: 1e-6, msg: 'loss' });
    got.grads.forEach((g, i) =>
      assertClose(g, want.grads[i]!, { rtol: 1e-3, atol: 1e-5, msg: `gradient ${i}` }),
    );
    got.params.forEach((p, i) =>
      assertClose(p, want.params[i]!, { rtol: 1e-4, atol: 1e-6, msg: `parameter ${i}` }),
    );
  });
});
