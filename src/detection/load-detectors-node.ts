import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { ValueError } from '../errors.js';
import { loadTfjsWeights } from '../io/tfjs/load-tfjs-node.js';
import { tinyFaceDetectorFromTfjs, type TinyFaceDetector } from './tiny-face-detector.js';

const require = createRequire(import.meta.url);

/**
 * The directory of an installed npm package's file `sub` (found with `require.resolve`, never a
 * hard-coded node_modules path), or an error saying which package to install.
 */
export function packageFile(pkg: string, sub: string): string {
  let root: string;
  try {
    root = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    try {
      // Packages whose exports map hides package.json: walk up from the main entry.
      let dir = dirname(require.resolve(pkg));
      while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
      root = dir;
    } catch {
      throw new ValueError(
        'loadDetector',
        `the npm package ${pkg} is not installed. Fix: npm install ${pkg}`,
      );
    }
  }
  const p = join(root, sub);
  if (!existsSync(p)) throw new ValueError('loadDetector', `${pkg} does not ship ${sub} (looked at ${p})`);
  return p;
}

/**
 * Load face-api's tiny face detector from `manifestPath`, by default the
 * `tiny_face_detector_model-weights_manifest.json` that `@vladmandic/face-api` ships.
 */
export function loadTinyFaceDetector(manifestPath?: string): TinyFaceDetector {
  const file =
    manifestPath ??
    packageFile('@vladmandic/face-api', 'model/tiny_face_detector_model-weights_manifest.json');
  return tinyFaceDetectorFromTfjs(loadTfjsWeights(file), { file });
}
