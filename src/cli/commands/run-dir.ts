import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../node.js';
import { UsageError } from '../args.js';

/**
 * A training run directory, as `stride train --out DIR` writes it: `DIR/model` is a Stride model
 * directory (architecture, weights, optimizer state, the model card with class names and
 * preprocessing) whose metadata also holds the run's
 * {@link TrainingState} under {@link TRAINING_STATE_KEY}. The whole model directory is replaced
 * atomically after every epoch, so weights, optimizer and training state always belong together.
 */
export const RUN_MODEL_DIR = 'model';

/** The model metadata key of the training state. */
export const TRAINING_STATE_KEY = 'stride.training';

/** Everything `--resume` needs besides the weights and the optimizer state. */
export interface TrainingState {
  /** The zoo model trained. */
  model: string;
  /** `--data`: a folder or a dataset name. */
  data: string;
  /** Side of the (square) training images. */
  size: number;
  /** Colour of the training images. */
  channels: 'rgb' | 'gray';
  /** `--val-split`. */
  valSplit: number;
  /** `--augment`. */
  augment: string[];
  /** `--batch-size`. */
  batchSize: number;
  /** `--lr`. */
  lr: number;
  /** `--optimizer`. */
  optimizer: string;
  /** `--schedule`. */
  schedule: string;
  /** `--seed`. */
  seed: number;
  /** `--train-limit` (named datasets). */
  trainLimit: number | null;
  /** Per-channel mean of the training images (pixel values in [0, 1]), subtracted from every input. */
  mean: number[];
  /** Per-channel standard deviation of the training images, dividing every input. */
  std: number[];
  /** Epochs planned in total. */
  epochs: number;
  /** Epochs finished. */
  epochsDone: number;
  /** The learning-rate schedule's state after the last finished epoch (null without one). */
  scheduler: st.lrScheduler.LRSchedulerStateDict | null;
}

/** Builds zoo models saved by name (GoogLeNet has no layer-tree form). */
export const zooBuilder = (name: string, options: st.JsonObject): st.Module => st.getModel(name, options);

/**
 * Where the Stride model of `arg` lives: `arg/model` for a run directory, else `arg` itself (a
 * model directory, `.safetensors`, `.onnx` or TF.js `model.json` file).
 */
export function modelPathOf(arg: string): string {
  const inner = join(arg, RUN_MODEL_DIR);
  return existsSync(join(inner, 'config.json')) ? inner : arg;
}

/**
 * Save the run: the model with its optimizer state and training state, replacing the previous
 * save. `zooOptions` rebuild the model by name when it has no layer-tree form.
 */
export function saveRun(
  runDir: string,
  model: st.Module,
  optimizer: st.Optimizer,
  state: TrainingState,
  zooOptions: st.JsonObject,
): void {
  mkdirSync(runDir, { recursive: true });
  const opts = { optimizer, metadata: { [TRAINING_STATE_KEY]: JSON.stringify(state) } };
  const path = join(runDir, RUN_MODEL_DIR);
  try {
    st.save(model, path, opts);
  } catch (e) {
    // Models without a layer-tree form (GoogLeNet) are saved as their zoo call.
    if (!(e instanceof st.StrideError) || !/has no saved form/.test(e.message)) throw e;
    st.save(model, path, { ...opts, zoo: { name: state.model, options: zooOptions } });
  }
}

/** Read a run directory written by {@link saveRun}: the model, its optimizer state and the training state. */
export function readRun(runDir: string): { loaded: st.LoadedModel; state: TrainingState } {
  const path = join(runDir, RUN_MODEL_DIR);
  if (!existsSync(join(path, 'config.json')))
    throw new UsageError(
      `--resume '${runDir}' is not a run directory: it has no ${RUN_MODEL_DIR}/config.json`,
    );
  const loaded = st.loadCheckpoint(path, { zoo: zooBuilder });
  const raw = loaded.config.metadata[TRAINING_STATE_KEY];
  if (raw === undefined)
    throw new UsageError(
      `--resume '${runDir}': the saved model has no training state (it was not written by stride train)`,
    );
  if (!loaded.optimizer)
    throw new UsageError(`--resume '${runDir}': the saved model has no optimizer state to resume from`);
  return { loaded, state: JSON.parse(raw) as TrainingState };
}
