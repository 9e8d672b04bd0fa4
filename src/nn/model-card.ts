import { ValueError } from '../errors.js';
import type { Module } from './module.js';

/** The order of the colour channels a model takes. */
export type ColorOrder = 'rgb' | 'bgr';

/** How an image meets a model's input size: stretch (`fill`), crop the overflow (`cover`) or letterbox (`contain`). */
export type ImageFit = 'fill' | 'cover' | 'contain';

/** What a model does with its input; open to other names. */
export type ModelTask =
  'classification' | 'detection' | 'segmentation' | 'regression' | 'embedding' | 'generation' | (string & {});

/**
 * How an image becomes a model's input, applied by `st.preprocess(model, image)`: resize to
 * `size` (`fit` says how), convert to `channels` in `colorOrder`, then for each channel `c`
 * `x = (pixel * scale - mean[c]) / std[c]`, where `pixel` is the 0..255 sRGB byte. With the
 * defaults (`scale` 1/255, no mean/std) the input is the image in [0, 1]. Every field is optional:
 * a model records what it knows.
 */
export interface Preprocessing {
  /** Input `[height, width]`. */
  size?: readonly [number, number];
  /** 1 (gray: ITU-R 601 luma), 3 (colour) or 4 (colour + alpha). */
  channels?: number;
  /** The order of the colour channels (default `rgb`). */
  colorOrder?: ColorOrder;
  /** Multiplies the 0..255 pixel value before mean/std (default 1/255; 1 for models fed raw bytes). */
  scale?: number;
  /** Per-channel mean, subtracted after scaling (one value per channel, or one for all). */
  mean?: readonly number[];
  /** Per-channel standard deviation, divided by after subtracting the mean. */
  std?: readonly number[];
  /** How an image of another aspect ratio meets `size` (default `fill`). */
  fit?: ImageFit;
}

/**
 * What travels with a model besides its weights: how it is fed and what it answers. Saved in
 * Stride's model config, written to ONNX `metadata_props`, read back on load and import, and
 * recorded by `fit()` from datasets that know them. On a model: `model.preprocessing`,
 * `model.classNames`, `model.task`.
 */
export interface ModelCard {
  /** What the model does, e.g. `'classification'`. */
  task?: ModelTask;
  /** How images are turned into its input. */
  preprocessing?: Preprocessing;
  /** The name of each output class, in output order. */
  classNames?: readonly string[];
}

const cards = new WeakMap<Module, ModelCard>();

/** The card recorded on `model` (an empty object when nothing is known). */
export function modelCard(model: Module): ModelCard {
  return cards.get(model) ?? {};
}

/**
 * Record (merge) what is known about how `model` is fed and what it answers. A field given as
 * `undefined` clears it. The card is validated: a bad field throws a `ValueError` naming it.
 * Returns the model.
 */
export function setModelCard<M extends Module>(model: M, card: ModelCard): M {
  const merged: Record<string, unknown> = { ...cards.get(model) };
  for (const [k, v] of Object.entries(card)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  cards.set(model, checkModelCard('setModelCard', merged));
  return model;
}

const CARD_KEYS = new Set(['task', 'preprocessing', 'classNames']);
const PREPROCESSING_KEYS = new Set(['size', 'channels', 'colorOrder', 'scale', 'mean', 'std', 'fit']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Validate an untrusted card (from a file or a plain-JavaScript caller) and return a frozen copy.
 * Throws a `ValueError` for `op` naming the field that is wrong and what was expected.
 */
export function checkModelCard(op: string, raw: unknown): ModelCard {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new ValueError(op, `model card field '${field}' must be ${expected}, got ${JSON.stringify(got)}`);
  };
  if (!isObject(raw)) return bad('(card)', 'an object', raw);
  for (const k of Object.keys(raw)) {
    if (!CARD_KEYS.has(k)) bad(k, `one of the known fields (${[...CARD_KEYS].join(', ')})`, k);
  }
  const out: ModelCard = {};
  if (raw.task !== undefined) {
    if (typeof raw.task !== 'string' || raw.task === '') bad('task', 'a non-empty string', raw.task);
    out.task = raw.task as string;
  }
  if (raw.classNames !== undefined) {
    const names = raw.classNames;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string'))
      bad('classNames', 'a non-empty list of strings', names);
    out.classNames = Object.freeze([...(names as string[])]);
  }
  if (raw.preprocessing !== undefined) {
    const p = raw.preprocessing;
    if (!isObject(p)) return bad('preprocessing', 'an object', p);
    for (const k of Object.keys(p)) {
      if (!PREPROCESSING_KEYS.has(k))
        bad(`preprocessing.${k}`, `one of ${[...PREPROCESSING_KEYS].join(', ')}`, k);
    }
    const pre: Preprocessing = {};
    if (p.size !== undefined) {
      const s = p.size;
      if (
        !Array.isArray(s) ||
        s.length !== 2 ||
        !s.every((d) => Number.isSafeInteger(d) && (d as number) > 0)
      )
        bad('preprocessing.size', '[height, width] of positive integers', s);
      pre.size = Object.freeze([(s as number[])[0]!, (s as number[])[1]!]) as readonly [number, number];
    }
    if (p.channels !== undefined) {
      if (p.channels !== 1 && p.channels !== 3 && p.channels !== 4)
        bad('preprocessing.channels', '1, 3 or 4', p.channels);
      pre.channels = p.channels as number;
    }
    if (p.colorOrder !== undefined) {
      if (p.colorOrder !== 'rgb' && p.colorOrder !== 'bgr')
        bad('preprocessing.colorOrder', "'rgb' or 'bgr'", p.colorOrder);
      pre.colorOrder = p.colorOrder as ColorOrder;
    }
    if (p.scale !== undefined) {
      if (typeof p.scale !== 'number' || !Number.isFinite(p.scale) || p.scale <= 0)
        bad('preprocessing.scale', 'a positive number (e.g. 1/255)', p.scale);
      pre.scale = p.scale as number;
    }
    for (const key of ['mean', 'std'] as const) {
      const v = p[key];
      if (v === undefined) continue;
      if (!isFiniteList(v)) bad(`preprocessing.${key}`, 'a non-empty list of finite numbers', v);
      if (key === 'std' && (v as number[]).some((x) => x <= 0))
        bad('preprocessing.std', 'positive numbers', v);
      pre[key] = Object.freeze([...(v as number[])]);
    }
    if (
      pre.mean &&
      pre.std &&
      pre.mean.length !== pre.std.length &&
      pre.mean.length !== 1 &&
      pre.std.length !== 1
    )
      bad('preprocessing.std', `${pre.mean.length} values (one per mean value)`, pre.std);
    const perChannel = [pre.mean, pre.std].filter((l) => l && l.length > 1) as (readonly number[])[];
    if (pre.channels !== undefined)
      for (const l of perChannel)
        if (l.length !== pre.channels)
          bad('preprocessing.mean/std', `${pre.channels} values (one per channel)`, l);
    if (p.fit !== undefined) {
      if (p.fit !== 'fill' && p.fit !== 'cover' && p.fit !== 'contain')
        bad('preprocessing.fit', "'fill', 'cover' or 'contain'", p.fit);
      pre.fit = p.fit as ImageFit;
    }
    out.preprocessing = Object.freeze(pre);
  }
  return Object.freeze(out);
}

/** True when the card records nothing. */
export function isEmptyCard(card: ModelCard): boolean {
  return card.task === undefined && card.preprocessing === undefined && card.classNames === undefined;
}
