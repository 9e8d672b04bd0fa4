/**
 * The catalog rows of the face-recognition network's own layers (models/face-recognition-net.ts):
 * FaceNormalize (a fixed mean; ONNX export traces its Sub and Div) and ZeroPadChannels (ONNX Pad on
 * the channel axis).
 */
import { FaceNormalize, ZeroPadChannels } from '../../models/face-recognition-net.js';
import type { LayerRow } from './layer-row.js';

const faceNormalize: LayerRow<FaceNormalize> = {
  saved: {
    type: 'FaceNormalize',
    cls: FaceNormalize,
    toConfig: () => ({}),
    fromConfig: () => new FaceNormalize(),
    stateSize: () => 3,
  },
};

const zeroPadChannels: LayerRow<ZeroPadChannels> = {
  saved: {
    type: 'ZeroPadChannels',
    cls: ZeroPadChannels,
    toConfig: (m) => ({ extra: m.extra }),
    fromConfig: (c) => new ZeroPadChannels(c.int('extra', undefined, 0)),
  },
  onnx: (m, c) => {
    const pads = c.b.ints([0, 0, 0, 0, 0, m.extra, 0, 0], `${c.path}.pads`);
    return c.b.op('Pad', [c.inputs[0]!, pads], { mode: 'constant' }, c.path);
  },
};

/** The face-recognition layers' rows. */
export const FACE_RECOGNITION_LAYERS: readonly LayerRow[] = [
  faceNormalize,
  zeroPadChannels,
] as unknown as readonly LayerRow[];
