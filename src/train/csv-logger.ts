import { appendFileSync, writeFileSync } from 'node:fs';
import type { Callback, Logs } from './callback.js';

/** Options of {@link CSVLogger}. */
export interface CSVLoggerOptions {
  /** Append to an existing file instead of starting a new one (default false). */
  append?: boolean;
  /** Field separator (default ','). */
  separator?: string;
}

/**
 * Write one CSV row per epoch (`epoch,loss,accuracy,val_loss,...`) to a file, like Keras'
 * CSVLogger. The header is written with the first row; every row is appended and flushed at once,
 * so a run that stops early leaves every finished epoch on disk. Node only.
 */
export class CSVLogger implements Callback {
  readonly path: string;
  private readonly append: boolean;
  private readonly sep: string;
  private keys: string[] | null = null;

  constructor(path: string, opts: CSVLoggerOptions = {}) {
    this.path = path;
    this.append = opts.append ?? false;
    this.sep = opts.separator ?? ',';
  }

  onTrainBegin(): void {
    this.keys = null;
    if (!this.append) writeFileSync(this.path, '');
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (this.keys === null) {
      this.keys = Object.keys(logs);
      if (!this.append) appendFileSync(this.path, ['epoch', ...this.keys].join(this.sep) + '\n');
    }
    const row = [String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? '' : String(logs[k])))];
    appendFileSync(this.path, row.join(this.sep) + '\n');
  }
}
