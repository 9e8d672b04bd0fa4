import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

// `--backend wasm` and STRIDE_BACKEND=wasm: the CLI loads the WebAssembly module (asynchronously)
// before the command runs. Checked against the same command on the reference backend.

const root = fileURLToPath(new URL('../..', import.meta.url));

function stride(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Prediction {
  file: string;
  top: { class: string; index: number; probability: number }[];
}

describe('stride predict --backend wasm', () => {
  let dir = '';
  let model = '';
  let image = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stride-wasm-cli-'));
    st.manualSeed(3);
    model = join(dir, 'lenet');
    st.save(st.models.lenet5({ variant: 'modern' }), model);
    image = join(dir, 'digit.png');
    const side = 28;
    const gray = Uint8Array.from({ length: side * side }, (_, i) => ((i * 37) % 251) & 0xff);
    await st.writeImage(image, { data: gray, width: side, height: side, channels: 1 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the reference backend’s probabilities, by flag (2 threads) and by STRIDE_BACKEND', () => {
    const run = (env: Record<string, string>, ...extra: string[]) => {
      const r = stride(env, 'predict', model, image, '--json', '--top-k', '10', ...extra);
      assert.equal(r.code, 0, r.err);
      const [p] = JSON.parse(r.out) as Prediction[];
      return p!.top.sort((a, b) => a.index - b.index).map((t) => t.probability);
    };
    const want = run({}, '--backend', 'reference');
    assertClose(run({}, '--backend', 'wasm', '--threads', '2'), want, { rtol: 1e-4, atol: 1e-6 });
    assertClose(run({ STRIDE_BACKEND: 'wasm' }), want, { rtol: 1e-4, atol: 1e-6 });
  });
});
