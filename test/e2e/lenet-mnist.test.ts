import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The main job end to end, as a user runs it: the `stride train` command trains LeNet-5 on the
 * real 60,000 MNIST training images for 2 epochs and must reach the published >= 98.5% on the
 * real 10,000 test images.
 */
describe('main job: stride train lenet5 --dataset mnist', () => {
  it(
    'reaches >= 98.5% test accuracy in 2 epochs and saves a loadable checkpoint',
    { timeout: 40 * 60_000 },
    () => {
      const out = mkdtempSync(join(tmpdir(), 'stride-e2e-'));
      try {
        const t0 = Date.now();
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            'src/cli/main.ts',
            'train',
            'lenet5',
            '--dataset',
            'mnist',
            '--epochs',
            '2',
            '--out',
            out,
          ],
          { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        );
        assert.equal(r.status, 0, `stride train failed:\n${r.stderr}\n${r.stdout.slice(-2000)}`);
        const lines = r.stdout.trim().split('\n');
        const last = lines[lines.length - 1]!;
        const m = /^test accuracy: (\d+\.\d\d)%$/.exec(last);
        assert.ok(m, `last line should report the test accuracy, got: ${last}`);
        const acc = Number(m[1]);
        console.log(
          `LeNet-5 MNIST 2 epochs: test accuracy ${acc}% in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );
        assert.ok(acc >= 98.5, `test accuracy ${acc}% is below 98.5%`);
        assert.match(r.stdout, /60000 training \/ 0 validation \/ 10000 test images/);
        assert.match(r.stdout, /true\\pred/);
        assert.ok(existsSync(join(out, 'model')), 'checkpoint written');
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );
});
