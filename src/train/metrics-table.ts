import type { ClassificationReport, ConfusionMatrix } from './metrics.js';

/** Render rows of cells as a right-aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The confusion matrix as a table: rows = true class, columns = predicted class. */
export function formatConfusionMatrix(cm: ConfusionMatrix, labels?: string[]): string {
  const names = labels ?? Array.from({ length: cm.numClasses }, (_, i) => String(i));
  return formatTable(
    ['true\\pred', ...names],
    cm.counts.map((row, i) => [names[i]!, ...row.map(String)]),
  );
}

/** Precision/recall/F1/support per class plus macro and micro averages, as a table. */
export function formatClassificationReport(r: ClassificationReport, labels?: string[]): string {
  const f = (v: number) => v.toFixed(4);
  const rows = r.perClass.map((c, i) => [
    labels?.[i] ?? String(i),
    f(c.precision),
    f(c.recall),
    f(c.f1),
    String(c.support),
  ]);
  const support = String(r.perClass.reduce((s, c) => s + c.support, 0));
  rows.push(['macro avg', f(r.macro.precision), f(r.macro.recall), f(r.macro.f1), support]);
  rows.push(['micro avg', f(r.micro.precision), f(r.micro.recall), f(r.micro.f1), support]);
  return formatTable(['class', 'precision', 'recall', 'f1', 'support'], rows);
}
