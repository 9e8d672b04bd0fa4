// Node-only: reads a CSV file from disk.
import { parseCsv, type CsvOptions } from './csv-parse.js';
import type { TensorDataset } from './dataset.js';
import { readDataFile } from './idx.js';

/**
 * Read a CSV file of numeric feature columns and a label column (e.g. iris) into a
 * `TensorDataset` of `[F]` feature vectors; see `parseCsv` for the options and header
 * detection. Errors name the file, the line and the column.
 */
export function loadCsv(file: string, opts: Omit<CsvOptions, 'source'> = {}): TensorDataset {
  const bytes = readDataFile('loadCsv', file);
  return parseCsv(new TextDecoder('utf-8').decode(bytes), { ...opts, source: file });
}
