import type { LayerSpec } from '../io/layer-registry.js';
import type { TransferredError } from './transferred-error.js';

/** A tensor crossing a thread boundary: its elements (a buffer of their own) and shape. */
export interface TensorMessage {
  /** The elements; float32 unless `dtype` says otherwise. */
  readonly data: Float32Array | Float64Array;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
}

/** A parameter or buffer whose values changed, by its index in the model's state list. */
export interface StateUpdate {
  /** Index into {@link InitMessage.stateNames}. */
  readonly index: number;
  /** The new values (a copy the receiver owns). */
  readonly data: Float32Array | Float64Array;
}

/** Builds the worker's copy of the model (the first message a forward worker receives). */
export interface InitMessage {
  readonly kind: 'init';
  /** How to rebuild the module: its serialized layer tree. */
  readonly spec: LayerSpec;
  /** The model's state-dict keys (parameters and persistent buffers), in the order {@link StateUpdate.index} uses. */
  readonly stateNames: readonly string[];
}

/** One forward pass, with whatever changed on the main thread since the previous request. */
export interface ForwardMessage {
  readonly kind: 'forward';
  /** Matches the reply to its promise. */
  readonly id: number;
  /** The input, copied. */
  readonly input: TensorMessage;
  /** Parameters and buffers whose values changed since the previous request. */
  readonly updates: readonly StateUpdate[];
  /** The training flag of every module, in `moduleTree` order. */
  readonly modes: readonly boolean[];
  /** The main thread's active backend (`st.backend()`). */
  readonly backend: string;
}

/** What the main thread sends a forward worker. */
export type ToWorker = InitMessage | ForwardMessage;

/** The worker's answer to an {@link InitMessage} it could not carry out (success sends nothing). */
export interface InitFailedReply {
  readonly kind: 'init-failed';
  readonly error: TransferredError;
}

/** The worker's answer to a {@link ForwardMessage}. */
export type ForwardReply =
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly output: TensorMessage;
      /**
       * The buffers after the pass, when some module was in training mode (batch norm updates its
       * running statistics), in state-list order; empty otherwise.
       */
      readonly buffers: readonly StateUpdate[];
    }
  | { readonly kind: 'error'; readonly id: number; readonly error: TransferredError };

/** What a forward worker sends back. */
export type FromWorker = InitFailedReply | ForwardReply;
