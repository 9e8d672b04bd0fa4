import { StrideError } from '../errors.js';

/** A state-dict entry whose shape differs from the module's tensor of the same name. */
export interface ShapeMismatch {
  /** Dotted key, e.g. `features.0.weight`. */
  readonly key: string;
  /** Shape of the module's parameter or buffer. */
  readonly expected: readonly number[];
  /** Shape found in the state dict. */
  readonly got: readonly number[];
}

const LIST_LIMIT = 20;

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, LIST_LIMIT).join(', ');
  return keys.length > LIST_LIMIT ? `${shown}, ... (${keys.length - LIST_LIMIT} more)` : shown;
}

/**
 * `loadStateDict` refused a state dict. Lists every missing key (in the module, not in the dict),
 * unexpected key (in the dict, not in the module) and shape mismatch; nothing was loaded.
 */
export class StateDictError extends StrideError {
  /** Keys the module has and the state dict lacks. */
  readonly missingKeys: readonly string[];
  /** Keys the state dict has and the module lacks. */
  readonly unexpectedKeys: readonly string[];
  /** Keys present on both sides with different shapes. */
  readonly mismatchedKeys: readonly ShapeMismatch[];

  constructor(
    moduleName: string,
    missingKeys: readonly string[],
    unexpectedKeys: readonly string[],
    mismatchedKeys: readonly ShapeMismatch[],
  ) {
    const lines = [`the state dict does not fit ${moduleName}; nothing was loaded.`];
    if (missingKeys.length > 0)
      lines.push(`  missing keys (${missingKeys.length}): ${listKeys(missingKeys)}`);
    if (unexpectedKeys.length > 0)
      lines.push(`  unexpected keys (${unexpectedKeys.length}): ${listKeys(unexpectedKeys)}`);
    if (mismatchedKeys.length > 0) {
      const shown = mismatchedKeys
        .slice(0, LIST_LIMIT)
        .map((m) => `${m.key}: model [${m.expected.join(', ')}], state dict [${m.got.join(', ')}]`);
      lines.push(`  shape mismatches (${mismatchedKeys.length}): ${shown.join('; ')}`);
    }
    const fixes: string[] = [];
    if (missingKeys.length > 0 || unexpectedKeys.length > 0)
      fixes.push(
        'check that the checkpoint was saved from the same architecture, or pass {strict: false} to load the matching keys only',
      );
    if (mismatchedKeys.length > 0)
      fixes.push(
        "shape mismatches are never skipped: build the layers with the checkpoint's sizes, or drop those keys from the dict (e.g. a classifier you are replacing) and load with {strict: false}",
      );
    lines.push(`Fix: ${fixes.join('; ')}`);
    super('loadStateDict', lines.join('\n'));
    this.name = 'StateDictError';
    this.missingKeys = missingKeys;
    this.unexpectedKeys = unexpectedKeys;
    this.mismatchedKeys = mismatchedKeys;
  }
}
