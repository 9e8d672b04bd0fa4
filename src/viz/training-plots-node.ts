import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFileError } from '../data/data-file-error.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import type { History } from '../train/fit.js';
import type { ConfusionMatrix } from '../train/metrics.js';
import { confusionChart } from './confusion-chart.js';
import { historyChart } from './history-chart.js';
import { saveChart } from './png-node.js';
import { formatTrainingLog, parseTrainingLog } from './training-log.js';

/** Options of {@link writeTrainingPlots}. */
export interface TrainingPlotsOptions {
  /** Class names for the confusion matrix's axes. */
  classNames?: readonly string[];
  /** Title of the history chart. */
  title?: string;
  /** 'png' (default) or 'svg'. */
  format?: 'png' | 'svg';
}

/**
 * Write a run's pictures into `dir`: `history.csv` (CSVLogger's format, so `stride plot` can draw
 * it again), `history.png` (loss and metrics per epoch, train and validation) and, when given,
 * `confusion.json` (the counts and class names) with `confusion.png` (the matrix as a heat map).
 * Returns the paths written. Node only.
 */
export async function writeTrainingPlots(
  dir: string,
  history: History,
  confusion?: ConfusionMatrix,
  opts: TrainingPlotsOptions = {},
): Promise<string[]> {
  const ext = opts.format ?? 'png';
  const csv = join(dir, 'history.csv');
  writeFileAtomic(csv, formatTrainingLog(history));
  const paths = [
    csv,
    await saveChart(
      historyChart(history, opts.title ? { title: opts.title } : {}),
      join(dir, `history.${ext}`),
    ),
  ];
  if (confusion) {
    const json = join(dir, 'confusion.json');
    writeFileAtomic(
      json,
      JSON.stringify({ counts: confusion.counts, classNames: opts.classNames ?? null }) + '\n',
    );
    paths.push(
      json,
      await saveChart(
        confusionChart(confusion, opts.classNames ? { classNames: opts.classNames } : {}),
        join(dir, `confusion.${ext}`),
      ),
    );
  }
  return paths;
}

/** Read a CSV that `CSVLogger` (or {@link writeTrainingPlots}) wrote into a `fit()` history. Node only. */
export function readTrainingLog(path: string): History {
  if (!existsSync(path)) {
    throw new DataFileError(
      'readTrainingLog',
      path,
      'no such file',
      'pass the CSV that CSVLogger or stride train wrote (history.csv)',
    );
  }
  return parseTrainingLog(readFileSync(path, 'utf8'), path);
}

/** Read the `confusion.json` that {@link writeTrainingPlots} wrote. Node only. */
export function readConfusionJson(path: string): { matrix: ConfusionMatrix; classNames?: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DataFileError('readConfusionJson', path, `not readable JSON (${(err as Error).message})`);
  }
  const { counts, classNames } = (parsed ?? {}) as { counts?: unknown; classNames?: unknown };
  if (
    !Array.isArray(counts) ||
    counts.some(
      (r) => !Array.isArray(r) || r.length !== counts.length || r.some((v) => typeof v !== 'number'),
    )
  ) {
    throw new DataFileError(
      'readConfusionJson',
      path,
      "'counts' must be a square array of numbers",
      'write it with st.viz.writeTrainingPlots',
    );
  }
  const names = Array.isArray(classNames) ? classNames.map(String) : undefined;
  return {
    matrix: { numClasses: counts.length, counts: counts as number[][] },
    ...(names ? { classNames: names } : {}),
  };
}
