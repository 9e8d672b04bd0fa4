import * as st from '../../node.js';
import { UsageError } from '../args.js';

/**
 * Refuse, before any data is read or any step is taken, a model that cannot run on images of
 * `shape` ([C, H, W]): a shape-only forward pass in training mode (milliseconds even for VGG)
 * finds the layer that fails, and the same tracing finds the smallest square size that works;
 * `fix` words what the user can do about it.
 */
export function checkInputFits(
  modelName: string,
  model: st.Module,
  shape: readonly number[],
  fix: (smallest: number) => string,
): void {
  try {
    st.traceForward(model, shape, { mode: 'train' }, 'train');
  } catch (e) {
    if (!(e instanceof st.StrideError)) throw e;
    const [c, h, w] = shape as [number, number, number];
    const smallest = st.smallestSquareInput(model, shape, 'train');
    if (smallest !== null) {
      throw new UsageError(
        `${modelName} cannot take ${h}x${w} images (${c} channel${c === 1 ? '' : 's'}); the smallest size it accepts is ${smallest}x${smallest}: ${fix(smallest)}`,
      );
    }
    throw new UsageError(`${modelName} cannot take ${c}x${h}x${w} images: ${e.message.split('\n')[0]}`);
  }
}
