import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packageDir } from '../io/helpers/npm-models.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const faceApi = packageDir('@vladmandic/face-api');

function stride(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stride detect', () => {
  it('refuses unknown detectors with status 2', () => {
    const r = stride('detect', 'yolo9000', 'x.jpg');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown detector 'yolo9000'; expected one of centernet, tiny-face/);
  });

  it(
    'finds the three faces of a face-api demo photo, prints JSON and draws a PNG',
    { skip: faceApi ? false : '@vladmandic/face-api is not installed' },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'stride-detect-'));
      try {
        const out = join(dir, 'faces.png');
        const r = stride(
          'detect',
          'tiny-face',
          join(faceApi!, 'demo', 'sample1.jpg'),
          '--json',
          '--out',
          out,
        );
        assert.equal(r.code, 0, r.err);
        const j = JSON.parse(r.out) as { width: number; detections: { className: string; score: number }[] };
        assert.equal(j.width, 1920);
        assert.equal(j.detections.length, 3);
        assert.ok(j.detections.every((d) => d.className === 'face' && d.score > 0.5));
        assert.ok(existsSync(out));
        assert.deepEqual([...readFileSync(out).subarray(1, 4)], [0x50, 0x4e, 0x47]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
