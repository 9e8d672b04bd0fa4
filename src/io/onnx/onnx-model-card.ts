import { checkModelCard, modelCard, setModelCard, type ModelCard } from '../../nn/model-card.js';
import type { Module } from '../../nn/module.js';
import { ModelFileError } from '../model-file-error.js';

/**
 * The ONNX `metadata_props` keys a model card is written under (JSON values), so that any ONNX
 * runtime or viewer shows them and Stride reads them back on import.
 */
export const ONNX_CARD_KEYS = {
  task: 'stride.task',
  classNames: 'stride.class_names',
  preprocessing: 'stride.preprocessing',
} as const;

/** `metadata_props` entries for `model`'s card (empty when it records nothing). */
export function onnxCardMetadata(model: Module): Record<string, string> {
  const card = modelCard(model);
  const out: Record<string, string> = {};
  if (card.task !== undefined) out[ONNX_CARD_KEYS.task] = card.task;
  if (card.classNames !== undefined) out[ONNX_CARD_KEYS.classNames] = JSON.stringify(card.classNames);
  if (card.preprocessing !== undefined)
    out[ONNX_CARD_KEYS.preprocessing] = JSON.stringify(card.preprocessing);
  return out;
}

/**
 * Read a card from ONNX `metadata_props` and record it on `model`. Also reads the common
 * `names` entry (a JSON list, or a `{0: 'name', ...}` dict as Ultralytics writes it) as class
 * names. A malformed Stride entry is refused with a `ModelFileError` naming the key.
 */
export function applyOnnxCardMetadata(
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
        'importOnnx',
        file,
        `metadata_props '${key}' is not valid JSON (${(e as Error).message})`,
        'fix or remove that entry',
      );
    }
  };
  if (metadata[ONNX_CARD_KEYS.task] !== undefined) raw.task = metadata[ONNX_CARD_KEYS.task];
  if (metadata[ONNX_CARD_KEYS.classNames] !== undefined) raw.classNames = parse(ONNX_CARD_KEYS.classNames);
  else if (metadata.names !== undefined) {
    const names = namesEntry(metadata.names);
    if (names) raw.classNames = names;
  }
  if (metadata[ONNX_CARD_KEYS.preprocessing] !== undefined)
    raw.preprocessing = parse(ONNX_CARD_KEYS.preprocessing);
  if (Object.keys(raw).length === 0) return;
  let card: ModelCard;
  try {
    card = checkModelCard('importOnnx', raw);
  } catch (e) {
    throw new ModelFileError(
      'importOnnx',
      file,
      (e as Error).message.replace(/^importOnnx: /, ''),
      'fix or remove that metadata_props entry',
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
