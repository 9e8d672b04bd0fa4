/** How a model trained by `stride train` is fed, and what its outputs mean. */
export interface Preprocessing {
  size: number;
  channels: 'rgb' | 'gray';
  mean: number[];
  std: number[];
  classNames: string[];
}

/** The model metadata strings recording {@link Preprocessing}. */
export function preprocessingMetadata(p: Preprocessing): Record<string, string> {
  return {
    'stride.preprocessing': JSON.stringify({ size: p.size, channels: p.channels, mean: p.mean, std: p.std }),
    'stride.classNames': JSON.stringify(p.classNames),
  };
}
