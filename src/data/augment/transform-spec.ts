import { ValueError } from '../../errors.js';
import { normalize, type ChannelStats } from '../normalize.js';
import { randomAffine, type RandomAffineOptions } from './affine.js';
import { colorJitter, type ColorJitterOptions } from './color.js';
import {
  centerCrop,
  randomCrop,
  randomResizedCrop,
  type RandomCropOptions,
  type RandomResizedCropOptions,
} from './crop.js';
import { randomErasing, type RandomErasingOptions } from './erasing.js';
import { randomHorizontalFlip, randomVerticalFlip, type FlipOptions } from './flip.js';
import { resizeImage, type ImageSize } from './resize.js';
import { compose, type Transform } from './transform.js';

/**
 * A transform written as plain data (JSON), so that a worker thread can build the same transform
 * the main thread would: `{ name: 'randomCrop', size: 28, padding: 2 }` is
 * `randomCrop(28, { padding: 2 })`. Each variant takes the options of the function of that name.
 */
export type TransformSpec =
  | { name: 'resize'; size: ImageSize }
  | { name: 'centerCrop'; size: ImageSize }
  | ({ name: 'randomCrop'; size: ImageSize } & RandomCropOptions)
  | ({ name: 'randomResizedCrop'; size: ImageSize } & RandomResizedCropOptions)
  | ({ name: 'randomHorizontalFlip' } & FlipOptions)
  | ({ name: 'randomVerticalFlip' } & FlipOptions)
  | ({ name: 'colorJitter' } & ColorJitterOptions)
  | ({ name: 'randomAffine' } & RandomAffineOptions)
  | ({ name: 'randomErasing' } & RandomErasingOptions)
  | ({ name: 'normalize' } & ChannelStats);

type SpecOf<N extends TransformSpec['name']> = Extract<TransformSpec, { name: N }>;

/** The options of a spec without its name. */
function optionsOf<S extends { name: string }>(spec: S): Omit<S, 'name'> {
  const { name: _name, ...rest } = spec;
  return rest;
}

/** One builder per spec name: the function of that name, called with the spec's options. */
const BUILDERS: { [N in TransformSpec['name']]: (spec: SpecOf<N>) => Transform } = {
  resize: (s) => (x) => resizeImage(x, s.size),
  centerCrop: (s) => centerCrop(s.size),
  randomCrop: (s) => {
    const { size, ...opts } = optionsOf(s);
    return randomCrop(size, opts);
  },
  randomResizedCrop: (s) => {
    const { size, ...opts } = optionsOf(s);
    return randomResizedCrop(size, opts);
  },
  randomHorizontalFlip: (s) => randomHorizontalFlip(optionsOf(s)),
  randomVerticalFlip: (s) => randomVerticalFlip(optionsOf(s)),
  colorJitter: (s) => colorJitter(optionsOf(s)),
  randomAffine: (s) => randomAffine(optionsOf(s)),
  randomErasing: (s) => randomErasing(optionsOf(s)),
  normalize: (s) => normalize({ mean: s.mean, std: s.std }),
};

/** The spec names {@link transformFromSpecs} knows. */
export const TRANSFORM_SPEC_NAMES: readonly TransformSpec['name'][] = Object.keys(
  BUILDERS,
) as TransformSpec['name'][];

/**
 * Build the transform that a list of specs describes, applied in order (`compose`). Throws a
 * ValueError naming the spec that is not an object with a known `name`; each builder checks its
 * own options as the function of that name does.
 *
 * @example transformFromSpecs([{ name: 'randomHorizontalFlip' }, { name: 'normalize', mean: [0.5], std: [0.25] }])
 */
export function transformFromSpecs(specs: readonly TransformSpec[]): Transform {
  const op = 'transformFromSpecs';
  if (!Array.isArray(specs))
    throw new ValueError(op, `expected an array of transform specs, got ${typeof specs}`);
  return compose(
    specs.map((spec, i) => {
      const name = (spec as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !Object.hasOwn(BUILDERS, name))
        throw new ValueError(
          op,
          `spec ${i} has name ${JSON.stringify(name)}; expected one of ${TRANSFORM_SPEC_NAMES.join(', ')}`,
        );
      return (BUILDERS[name as TransformSpec['name']] as (s: TransformSpec) => Transform)(spec);
    }),
  );
}
