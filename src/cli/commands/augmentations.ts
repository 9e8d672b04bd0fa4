import * as st from '../../node.js';

/** What `--augment` accepts, each a random change applied to every training image every epoch. */
export const AUGMENTATIONS = {
  flip: 'mirror left-right half the time',
  crop: 'shift by up to 1/8 of the size, reflect-padded',
  rotate: 'rotate by up to 15 degrees',
  color: 'brightness, contrast and colour saturation by up to 20%',
  erase: 'blank a random rectangle half the time, after normalization',
} as const;

/** The names of {@link AUGMENTATIONS}. */
export const AUGMENTATION_NAMES = Object.keys(AUGMENTATIONS) as (keyof typeof AUGMENTATIONS)[];

/**
 * The per-sample training transform: the chosen augmentations in a fixed order (geometry, colour,
 * normalization, erasing), on images of `size` x `size` with pixel values in [0, 1].
 */
export function trainingTransform(
  names: readonly string[],
  size: number,
  channels: number,
  stats: st.ChannelStats,
): st.Transform {
  const has = (n: keyof typeof AUGMENTATIONS) => names.includes(n);
  const steps: st.Transform[] = [];
  if (has('flip')) steps.push(st.randomHorizontalFlip());
  if (has('crop'))
    steps.push(st.randomCrop(size, { padding: Math.max(1, Math.round(size / 8)), paddingMode: 'reflect' }));
  if (has('rotate')) steps.push(st.randomRotation(15));
  if (has('color'))
    steps.push(
      st.colorJitter({ brightness: 0.2, contrast: 0.2, ...(channels === 3 ? { saturation: 0.2 } : {}) }),
    );
  steps.push(st.normalize(stats));
  if (has('erase')) steps.push(st.randomErasing());
  return st.compose(steps);
}
