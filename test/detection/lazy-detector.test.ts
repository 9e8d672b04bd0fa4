// lazyDetector: the metadata of a detector served by name without its network, equal to what the
// built detector (loadDetector) declares, and detections equal to the built one's once it is used.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazyDetector, loadDetector } from '../../src/detection/load-detectors-node.js';
import { ValueError } from '../../src/errors.js';
import * as st from '../../src/node.js';
import { packageDir } from '../io/helpers/npm-models.js';

const PACKAGES = {
  centernet: '@vladmandic/human',
  'tiny-face': '@vladmandic/face-api',
  'ssd-face': '@vladmandic/face-api',
};

describe('lazyDetector', () => {
  for (const [name, pkg] of Object.entries(PACKAGES)) {
    const skip = packageDir(pkg) === null ? `${pkg} is not installed (npm install -D ${pkg})` : false;
    it(`${name}: declares what loadDetector builds`, { skip }, () => {
      const lazy = lazyDetector(name);
      const built = loadDetector(name);
      assert.equal(lazy.name, built.name);
      assert.equal(lazy.inputSize, built.inputSize);
      assert.equal(lazy.fit, built.fit);
      assert.deepEqual([...lazy.classNames], [...built.classNames]);
    });
  }

  it(
    'tiny-face: detects as the built detector once used',
    { skip: packageDir('@vladmandic/face-api') === null },
    () => {
      st.manualSeed(3);
      const image = st.rand([1, 3, 416, 416]).mul(255);
      const lazy = lazyDetector('tiny-face').detect(image, { scoreThreshold: 0.05 });
      const built = loadDetector('tiny-face').detect(image, { scoreThreshold: 0.05 });
      assert.deepEqual(lazy, built);
    },
  );

  it('refuses an unknown name at once', () => {
    assert.throws(
      () => lazyDetector('yolo9000'),
      (e: unknown) => e instanceof ValueError && /centernet/.test(e.message),
    );
  });
});
