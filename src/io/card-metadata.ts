import { checkModelCard, modelCard, setModelCard, type ModelCard } from '../nn/model-card.js';
import type { Module } from '../nn/module.js';
import { ModelFileError } from './model-file-error.js';

/**
 * The string-metadata keys a model card is written under (JSON values): ONNX `metadata_props`, so
 * that any ONNX runtime or viewer shows them, and TF.js `userDefinedMetadata`. Stride reads them
 * back on import.
 */
export const CARD_METADATA_KEYS = {
  task: 'stride.task',
  classNames: 'stride.class_names',
  preprocessing: 'stride.preprocessing',
} as const;

/** String-metadata entries for `model`'s card (empty when it records nothing). */
export function cardMetadata(model: Module): Record<string, string> {
  const card = modelCard(model);
  const out: Record<string, string> = {};
  if (card.task !== undefined) out[CARD_METADATA_KEYS.task] = card.task;
  if (card.classNames !== undefined) out[CARD_METADATA_KEYS.classNames] = JSON.stringify(card.classNames);
  if (card.preprocessing !== undefined)
    out[CARD_METADATA_KEYS.preprocessing] = JSON.stringify(card.preprocessing);
  return out;
}

/**
 * Read a card from string metadata (ONNX `metadata_props`, TF.js `userDefinedMetadata`) and
 * record it on `model`. Also reads a common `names`, `labels`, `classNames` or `class_names` entry
 * (a JSON list, or a `{0: 'name', ...}` dict as Ultralytics writes it) as class names. A malformed
 * Stride entry is refused with a `ModelFileError` for `op` naming the key.
 */
export function applyCardMetadata(
  op: string,
  model: Module,
  metadata: Readonly<Record<string, string>>,
  file?: string,
): void {
  const raw: Record<string, unknown> = {};
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]!);
    } catch (e) {
      throw new ModelFileError(
        op,
        file,
        `metadata '${key}' is not valid JSON (${(e as Error).message})`,
        'fix or remove that entry',
      );
    }
  };
  if (metadata[CARD_METADATA_KEYS.task] !== undefined) raw.task = metadata[CARD_METADATA_KEYS.task];
  if (metadata[CARD_METADATA_KEYS.classNames] !== undefined)
    raw.classNames = parse(CARD_METADATA_KEYS.classNames);
  else {
    const key = ['names', 'labels', 'classNames', 'class_names'].find((k) => metadata[k] !== undefined);
    const names = key === undefined ? undefined : namesEntry(metadata[key]!);
    if (names) raw.classNames = names;
  }
  if (metadata[CARD_METADATA_KEYS.preprocessing] !== undefined)
    raw.preprocessing = parse(CARD_METADATA_KEYS.preprocessing);
  if (Object.keys(raw).length === 0) return;
  let card: ModelCard;
  try {
    card = checkModelCard(op, raw);
  } catch (e) {
    throw new ModelFileError(
      op,
      file,
      (e as Error).message.replace(`${op}: `, ''),
      'fix or remove that metadata entry',
    );
  }
  setModelCard(model, card);
}

/** Class names from a `names` entry: a JSON list, or a Python-style `{0: 'a', 1: 'b'}` dict with keys 0..n-1. */
function namesEntry(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch {
    // Not JSON: try the Python dict form below.
  }
  const entries = [...text.matchAll(/(\d+)\s*:\s*(['"])((?:(?!\2).)*)\2/g)];
  if (entries.length === 0) return undefined;
  const names: string[] = [];
  for (const m of entries) names[Number(m[1])] = m[3]!;
  return names.length === entries.length && names.every((n) => n !== undefined) ? names : undefined;
}
