import { getDefaultInputShape } from '../nn/default-input.js';
import { Module } from '../nn/module.js';
import { formatSummary, type FormatSummaryOptions } from './format-summary.js';
import { summary, type SummaryOptions } from './summary.js';

/** Options of `model.summary()`: those of `st.summary` and `st.formatSummary`, plus where to print. */
export interface ModuleSummaryOptions extends SummaryOptions, FormatSummaryOptions {
  /** The per-image input shape, e.g. `[3, 224, 224]` (default: the model's recorded input shape, else its preprocessing size and channels). */
  inputShape?: readonly number[];
  /** Where the table goes (default `console.log`); pass `() => {}` to only get the text. */
  print?: (text: string) => void;
}

declare module '../nn/module.js' {
  interface Module {
    /**
     * Print the model's summary table (layers, output shapes, parameters, memory, MACs, receptive
     * field; Keras's `model.summary()`) and return its text. `st.summary(model)` returns the
     * same numbers as data.
     */
    summary(opts?: ModuleSummaryOptions): string;
  }
}

Module.prototype.summary = function (this: Module, opts: ModuleSummaryOptions = {}): string {
  const { inputShape, print, ...rest } = opts;
  const p = this.preprocessing;
  const fromCard = p?.size && !getDefaultInputShape(this) ? [p.channels ?? 3, ...p.size] : undefined;
  const text = formatSummary(summary(this, inputShape ?? fromCard, rest), rest);
  (print ?? console.log)(text);
  return text;
};
