import { ValueError } from '../errors.js';
import type { History } from '../train/fit.js';

/**
 * Parse the CSV that `CSVLogger` writes (`epoch,loss,accuracy,val_loss,...`, one row per epoch)
 * back into a `fit()` history. Empty cells (a metric missing in some epoch) become NaN. The
 * separator is found from the header (',' or ';' or a tab).
 */
export function parseTrainingLog(text: string, source = 'training log'): History {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined)
    throw new ValueError(
      'parseTrainingLog',
      `${source} is empty; expected a header 'epoch,loss,...' and one row per epoch`,
    );
  const sep = header.includes('\t') ? '\t' : header.includes(';') ? ';' : ',';
  const keys = header.split(sep).map((k) => k.trim());
  if (keys[0] !== 'epoch') {
    throw new ValueError(
      'parseTrainingLog',
      `${source} must start with an 'epoch' column (as CSVLogger writes); its header is '${header}'`,
    );
  }
  const history: History = {
    epochs: [],
    history: Object.fromEntries(keys.slice(1).map((k) => [k, [] as number[]])),
  };
  lines.slice(1).forEach((line, r) => {
    const cells = line.split(sep);
    const epoch = Number(cells[0]);
    if (cells.length !== keys.length || !Number.isInteger(epoch)) {
      throw new ValueError(
        'parseTrainingLog',
        `${source} row ${r + 2} has ${cells.length} cells and epoch '${cells[0]}'; expected ${keys.length} cells starting with an integer epoch`,
      );
    }
    history.epochs.push(epoch);
    keys.slice(1).forEach((k, j) => {
      const cell = cells[j + 1]!.trim();
      history.history[k]!.push(cell === '' ? NaN : Number(cell));
    });
  });
  return history;
}

/** A history as the CSV `CSVLogger` writes, so `stride plot` can draw it again later. */
export function formatTrainingLog(history: History): string {
  const keys = Object.keys(history.history);
  const rows = history.epochs.map((e, i) =>
    [
      String(e),
      ...keys.map((k) => {
        const v = history.history[k]![i];
        return v === undefined || Number.isNaN(v) ? '' : String(v);
      }),
    ].join(','),
  );
  return [['epoch', ...keys].join(','), ...rows].join('\n') + '\n';
}
