import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/node.js';
import { formatPretrained } from '../../src/cli/commands/models.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'stride-train-pretrained-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const skipFashion = existsSync(st.FASHION_MNIST_DEBIAN_DIR)
  ? false
  : 'needs Debian dataset-fashion-mnist (apt install dataset-fashion-mnist)';

function stride(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('stride models --pretrained lists each backbone with the npm package that provides it', () => {
  const r = stride('models', '--pretrained');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mobilenet_v2\s+3x224x224\s+1280\s+nsfwjs\s+installed/);
  assert.match(r.out, /inception_v3\s+3x299x299\s+2048\s+nsfwjs\s+installed/);
  assert.match(r.out, /face_recognition\s+3x150x150\s+256\s+@vladmandic\/face-api\s+installed/);
  const json = JSON.parse(stride('models', '--pretrained', '--json').out) as st.PretrainedInfo[];
  assert.deepEqual(
    json.map((b) => [b.name, b.package]),
    [
      ['mobilenet_v2', 'nsfwjs'],
      ['inception_v3', 'nsfwjs'],
      ['face_recognition', '@vladmandic/face-api'],
    ],
  );
  // A package that is not installed gets one line saying which npm install adds it.
  const missing = formatPretrained([{ ...json[0]!, installed: false }]);
  assert.match(missing.split('\n')[2]!, /mobilenet_v2 .* nsfwjs\s+missing: npm install nsfwjs$/);
});

test(
  'stride train --pretrained: a head on frozen cached features, then the top block fine-tuned; frozen weights and BN statistics stay bit-identical',
  { skip: skipFashion },
  () => {
    const out = join(tmp, 'run');
    const r = stride(
      'train',
      '--pretrained',
      'mobilenet_v2',
      '--dataset',
      'fashion-mnist',
      '--train-limit',
      '40',
      '--test-limit',
      '20',
      '--size',
      '48',
      '--epochs',
      '2',
      '--fine-tune',
      '1',
      '--fine-tune-epochs',
      '1',
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /mobilenet_v2 \(nsfwjs\) at 48x48: 156 of 156 backbone tensors frozen; 40 training images, 10 classes/,
    );
    assert.match(r.out, /fine-tuning head_conv at learning rates 0\.00010, head 0\.00010/);
    assert.match(r.out, /test accuracy \d+\.\d% on 20 images/);
    assert.ok(existsSync(join(out, 'features-train.safetensors')));
    assert.ok(existsSync(join(out, 'features-test.safetensors')));

    const trained = st.load(join(out, 'model')).stateDict();
    const fresh = st.pretrained.load('mobilenet_v2', { pooling: 'avg' }).stateDict();
    let same = 0;
    let changed = 0;
    for (const [name, t] of Object.entries(fresh)) {
      const after = trained[`0.${name}`];
      assert.ok(after, `saved model lacks 0.${name}`);
      const top = /^(Conv_1|Conv_1_bn)\./.test(name);
      const isStat = /running_(mean|var)$/.test(name);
      const equal = Buffer.from(after.data.buffer, after.data.byteOffset, after.data.byteLength).equals(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
      if (top && !isStat) {
        if (!equal) changed++;
      } else {
        assert.ok(equal, `${name} changed although it was frozen`);
        same++;
      }
    }
    assert.ok(changed > 0, 'the fine-tuned top block did not change');
    assert.ok(same > 150);
    assert.deepEqual(st.load(join(out, 'model')).classNames, st.FASHION_MNIST_CLASSES);
  },
);

test('stride train --pretrained refuses a freeze pattern that matches nothing, naming it', () => {
  const r = stride('train', '--pretrained', 'mobilenet_v2', '--freeze', 'no_such_layer*', '--data', tmp);
  assert.equal(r.code, 2);
  assert.match(r.err, /--freeze: .*no_such_layer\*/);
});
