/**
 * The saved form of Stride's built-in layers: every catalog row's (io/catalog/layers.ts) and every
 * activation's (io/catalog/activations.ts), registered when this module loads.
 */
import {
  ACTIVATIONS,
  activationOptions,
  type ActivationRow,
  type OptionValue,
} from './catalog/activations.js';
import { defined } from './catalog/config-values.js';
import { LAYER_ROWS } from './catalog/layers.js';
import { registerLayer, type LayerSerializer } from './layer-registry.js';

/**
 * The saved form of an activation, from its catalog row: its options by name (an unset optional
 * one is left out), read back with the constructor's defaults (those of a layer built without
 * arguments), so no default is written here.
 */
function activationSerializer(row: ActivationRow): LayerSerializer {
  const defaults = activationOptions(row, row.create({}));
  return {
    type: row.type,
    cls: row.cls,
    toConfig: (m) => defined(activationOptions(row, m)),
    fromConfig: (c) => {
      const values: Record<string, OptionValue> = {};
      for (const o of row.options) {
        const def = defaults[o.name];
        if (o.kind === 'number') values[o.name] = c.number(o.name, def as number);
        else if (o.kind === 'enum') values[o.name] = c.string(o.name, o.values, def as string);
        else values[o.name] = c.optionalInt(o.name);
      }
      return row.create(values);
    },
  };
}

/** Every built-in layer's saved form: the catalog's layer rows, then its activations. */
const serializers: LayerSerializer[] = [
  ...LAYER_ROWS.map((r) => r.saved),
  ...ACTIVATIONS.map(activationSerializer),
];

for (const s of serializers) registerLayer(s);

/** The serializers of Stride's built-in layers and containers (registered when this module loads). */
export const BUILTIN_LAYER_TYPES: readonly string[] = serializers.map((s) => s.type);
