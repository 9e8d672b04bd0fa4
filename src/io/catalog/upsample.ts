/**
 * The catalog row of Upsample: ONNX Resize (nearest with asymmetric floor coordinates, or linear
 * with align-corners / PyTorch's half-pixel ones), by scale factors or by the traced output size.
 * An unset option is left out of the saved form, so the layer's own defaults apply when read back.
 */
import { Upsample } from '../../nn/upsample.js';
import type { UpsampleOptions } from '../../ops/upsample.js';
import type { ConfigReader } from '../config-reader.js';
import type { AttrInput } from '../onnx/onnx-builder.js';
import { defined, json } from './config-values.js';
import { pairOf } from './keras-layer.js';
import type { LayerRow } from './layer-row.js';
import type { TfGraphNode, TfGraphValue } from './tfjs-graph-layer.js';

/** TensorFlow's resizes to a constant size, where Stride's Upsample computes exactly the same pixels. */
function tfResize(n: TfGraphNode): TfGraphValue {
  const size = Array.from(n.constant(1, `the size of '${n.tfName}'`).data) as [number, number];
  const align = n.attrs.bool('align_corners', false);
  const half = n.attrs.bool('half_pixel_centers', false);
  let m: Upsample;
  if (n.op === 'ResizeNearestNeighbor' && !align && !half) m = new Upsample({ size });
  else if (n.op === 'ResizeBilinear' && (align || half))
    m = new Upsample({ size, mode: 'bilinear', alignCorners: align });
  else if (n.op === 'ResizeBilinear') m = new Upsample({ size, mode: 'bilinear', asymmetric: true });
  else
    n.refuse(
      `'${n.tfName}' uses a resize mode Stride does not match exactly (align_corners=${align}, half_pixel_centers=${half})`,
    );
  return n.add(n.name, m, [n.x], 4, 'nchw');
}

function numberOrPair(c: ConfigReader, key: string, integer: boolean): number | [number, number] | undefined {
  if (!c.has(key)) return undefined;
  const v = c.raw(key);
  const ok = (d: unknown) =>
    typeof d === 'number' && Number.isFinite(d) && d > 0 && (!integer || Number.isSafeInteger(d));
  if (ok(v)) return v as number;
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0] as number, v[1] as number];
  return c.fail(key, `a positive ${integer ? 'integer' : 'number'} or a pair of them`);
}

const upsample: LayerRow<Upsample> = {
  saved: {
    type: 'Upsample',
    cls: Upsample,
    toConfig: (m) => {
      const o = m.options;
      return defined({
        size: o.size === undefined ? undefined : json(o.size),
        scaleFactor: o.scaleFactor === undefined ? undefined : json(o.scaleFactor),
        mode: o.mode,
        alignCorners: o.alignCorners,
        asymmetric: o.asymmetric,
      });
    },
    fromConfig: (c) => {
      const opts: UpsampleOptions = {};
      const size = numberOrPair(c, 'size', true);
      const scaleFactor = numberOrPair(c, 'scaleFactor', false);
      if (size !== undefined) opts.size = size;
      if (scaleFactor !== undefined) opts.scaleFactor = scaleFactor;
      if (c.has('mode')) opts.mode = c.string('mode', ['nearest', 'bilinear'] as const);
      if (c.has('alignCorners')) opts.alignCorners = c.bool('alignCorners');
      if (c.has('asymmetric')) opts.asymmetric = c.bool('asymmetric');
      return new Upsample(opts);
    },
  },
  onnx: (m, c) => {
    const o = m.options;
    const mode = o.mode ?? 'nearest';
    const attrs: Record<string, AttrInput> =
      mode === 'nearest'
        ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
        : {
            mode: 'linear',
            coordinate_transformation_mode: o.alignCorners ? 'align_corners' : 'pytorch_half_pixel',
          };
    const empty = c.b.floats([], [0], `${c.path}.roi`);
    if (o.scaleFactor !== undefined) {
      const [sh, sw] = typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
      return c.b.op(
        'Resize',
        [c.inputs[0]!, empty, c.b.floats([1, 1, sh, sw], [4], `${c.path}.scales`)],
        attrs,
        c.path,
      );
    }
    // A fixed output size: sizes = [N, C] of the input followed by [outH, outW].
    const shape = c.b.op('Shape', [c.inputs[0]!], {}, c.path);
    const nc = c.b.op(
      'Slice',
      [shape, c.b.ints([0], `${c.path}.start`), c.b.ints([2], `${c.path}.end`)],
      {},
      c.path,
    );
    const sizes = c.b.op(
      'Concat',
      [nc, c.b.ints([c.output.shape[2]!, c.output.shape[3]!], `${c.path}.hw`)],
      { axis: 0 },
      c.path,
    );
    return c.b.op('Resize', [c.inputs[0]!, empty, '', sizes], attrs, c.path);
  },
  keras: {
    classes: ['UpSampling2D'],
    create: (l) => {
      const interpolation = l.config.interpolation;
      if (interpolation !== undefined && interpolation !== 'nearest')
        l.refuse(
          `UpSampling2D '${l.name}' uses ${String(interpolation)} interpolation; nearest is supported`,
        );
      return l.add(l.name, new Upsample({ scaleFactor: pairOf(l.config.size, 2) }), [l.inputs[0]!], 4);
    },
  },
  tfjsGraph: { ops: ['ResizeBilinear', 'ResizeNearestNeighbor'], create: tfResize },
};

/** Upsample's row. */
export const UPSAMPLE: readonly LayerRow[] = [upsample] as unknown as readonly LayerRow[];
