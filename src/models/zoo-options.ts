import { Conv2d } from '../nn/conv.js';
import { constant, kaimingNormal, kaimingUniform, normal, skipInit } from '../nn/init.js';
import { checkInt } from '../nn/layer-args.js';
import { checkOptionNames } from '../option-names.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { setDefaultInputShape } from '../nn/default-input.js';

/** Options every zoo function takes. */
export interface ZooOptions {
  /** Outputs of the classifier (default 1000, ImageNet's classes). */
  numClasses?: number;
  /** Channels of the input images (default 3; 1 for grayscale). */
  inChannels?: number;
  /**
   * Draw initial weights (default true, with the scheme of the reference implementation, e.g.
   * torchvision's He-normal for ResNet convolutions). `false` leaves every parameter at zero and
   * builds a large network in milliseconds: for counting parameters, inspecting, or right before
   * loading trained weights with `loadStateDict`.
   */
  init?: boolean;
}

/** The resolved common options. */
export interface ResolvedZooOptions {
  numClasses: number;
  inChannels: number;
  init: boolean;
}

/** The options every zoo function takes. */
export const ZOO_OPTION_NAMES: readonly string[] = ['numClasses', 'inChannels', 'init'];

/**
 * Validate the common options of zoo function `name`, filling in the defaults. Option names other
 * than the common ones and the family's `extra` names are refused (plain-JavaScript callers get
 * `unknown option 'numClases' (did you mean 'numClasses'?)`), and `pretrained` says that Stride
 * ships no weights.
 */
export function resolveZooOptions(
  name: string,
  opts: ZooOptions,
  defaults: Partial<ResolvedZooOptions> = {},
  extra: readonly string[] = [],
): ResolvedZooOptions {
  checkOptionNames(name, opts, [...ZOO_OPTION_NAMES, ...extra], {
    pretrained: `Stride ships no pretrained weights for '${name}' (option 'pretrained'). Fix: build it without that option and load trained weights with model.loadStateDict(...) or st.load('model.onnx')`,
  });
  return {
    numClasses: checkInt(name, 'numClasses', opts.numClasses ?? defaults.numClasses ?? 1000),
    inChannels: checkInt(name, 'inChannels', opts.inChannels ?? defaults.inChannels ?? 3),
    init: opts.init ?? true,
  };
}

/**
 * Build a zoo model: run `build` (without drawing weights when `o.init` is false, else followed by
 * `initialize`), and record its default per-image input shape for the inspection tools.
 */
export function buildZooModel<M extends Module>(
  o: ResolvedZooOptions,
  inputShape: readonly number[],
  build: () => M,
  initialize?: (model: M) => void,
): M {
  const model = o.init ? build() : skipInit(build);
  if (o.init && initialize) initialize(model);
  return setDefaultInputShape(model, inputShape);
}

/** How a family initializes convolutions and linear layers (torchvision's `_initialize_weights`). */
export interface InitScheme {
  /** Convolution weights. */
  conv: 'kaimingNormalFanOut' | 'kaimingNormalFanIn' | 'kaimingUniform' | { normalStd: number } | 'default';
  /** Convolution biases: zero, or keep the layer default. */
  convBias: 'zeros' | 'default';
  /** Linear weights. */
  linear: { normalStd: number } | 'default';
  /** Linear biases. */
  linearBias: 'zeros' | 'default';
}

/**
 * Apply a torchvision-style initialization to every Conv2d, Linear and BatchNorm2d of `model`
 * (batch norm: weight 1, bias 0). `override` picks a scheme for particular modules (SqueezeNet's
 * final convolution).
 */
export function initWeights(
  model: Module,
  scheme: InitScheme,
  override?: (m: Module) => InitScheme | null,
): void {
  for (const m of model.modules()) {
    const s = override?.(m) ?? scheme;
    if (m instanceof Conv2d) {
      if (s.conv === 'kaimingNormalFanOut') kaimingNormal(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
      else if (s.conv === 'kaimingNormalFanIn') kaimingNormal(m.weight);
      else if (s.conv === 'kaimingUniform') kaimingUniform(m.weight);
      else if (s.conv !== 'default') normal(m.weight, 0, s.conv.normalStd);
      if (m.bias && s.convBias === 'zeros') constant(m.bias, 0);
    } else if (m instanceof Linear) {
      if (s.linear !== 'default') normal(m.weight, 0, s.linear.normalStd);
      if (m.bias && s.linearBias === 'zeros') constant(m.bias, 0);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) constant(m.weight, 1);
      if (m.bias) constant(m.bias, 0);
    }
  }
}
