import * as st from '../../node.js';

/** Accuracy, the per-class report and the confusion matrix of a model on a labelled dataset. */
export interface ClassReport {
  accuracy: number;
  report: st.ClassificationReport;
  confusion: st.ConfusionMatrix;
  classNames: string[];
}

/**
 * Run `model` (in evaluation mode) over `data` and score its top-1 answers against the labels
 * with the library's metrics (`confusionMatrix`, `classificationReport`).
 */
export function classReport(model: st.Module, data: st.Dataset, classNames: readonly string[]): ClassReport {
  model.eval();
  const logits = st.noGrad(() => model.predict(data, { batchSize: 64 }));
  const labels = st.tensor(Array.from(st.labelsOf(data)));
  const confusion = st.confusionMatrix(logits, labels, classNames.length);
  const report = st.classificationReport(confusion);
  return { accuracy: report.accuracy, report, confusion, classNames: [...classNames] };
}

/** The report as text: per-class precision/recall/F1, then the confusion matrix. */
export function formatClassReport(r: ClassReport): string {
  return [
    st.formatClassificationReport(r.report, r.classNames),
    '',
    'confusion matrix (rows: true class, columns: predicted):',
    st.formatConfusionMatrix(r.confusion, r.classNames),
  ].join('\n');
}
