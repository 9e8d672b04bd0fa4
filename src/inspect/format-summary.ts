import type { ReceptiveField } from './receptive-field.js';
import type { LayerSummary, ModelSummary } from './summary.js';

/** `1234567` -> `'1,234,567'`. */
export function formatCount(n: number): string {
  return Number.isInteger(n)
    ? n.toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Bytes in binary units: `'512 B'`, `'12.3 KiB'`, `'58.1 MiB'`, `'1.2 GiB'`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A large count in short form with an SI prefix before `unit`: `'15.47 GMACs'`, `'854.2 MMACs'`, `'36 MACs'`. */
export function formatShort(n: number, unit = ''): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G${unit}`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M${unit}`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K${unit}`;
  return `${n} ${unit}`.trimEnd();
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

function pairText(p: readonly [number, number]): string {
  return p[0] === p[1] ? num(p[0]) : `${num(p[0])}x${num(p[1])}`;
}

function rfText(rf: ReceptiveField | null): [string, string, string] {
  if (!rf) return ['-', '-', '-'];
  return [
    pairText(rf.size),
    pairText(rf.jump),
    `${num(rf.start[0])}${rf.start[0] === rf.start[1] ? '' : `,${num(rf.start[1])}`}`,
  ];
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function paramsText(l: LayerSummary): string {
  if (l.nonTrainableParams === 0) return formatCount(l.params);
  return `${formatCount(l.trainableParams)} + ${formatCount(l.nonTrainableParams)} frozen`;
}

/** Options of {@link formatSummary}. */
export interface FormatSummaryOptions {
  /** Leave out the receptive-field columns (default false). */
  hideReceptiveField?: boolean;
}

/**
 * Render a {@link ModelSummary} as a text table, the way the decks tabulate VGG16: one row per
 * layer (dotted name and type, output shape per image, parameters, activation values and bytes per
 * image, multiply-adds, receptive field size / jump / start), then the totals and any warnings.
 * Rows marked `*` are in place (they add nothing to the forward-activation total).
 */
export function formatSummary(s: ModelSummary, opts: FormatSummaryOptions = {}): string {
  const showRf = !opts.hideReceptiveField;
  const header = ['Layer (type)', 'Output shape', 'Params', 'Activations', 'Bytes', 'MACs'];
  if (showRf) header.push('RF size', 'jump', 'start');
  const rows = s.layers.map((l) => {
    const r = [
      `${l.name || '(model)'} (${l.type})`,
      shapeText(l.outputShape),
      paramsText(l),
      `${formatCount(l.activationValues)}${l.inPlace ? '*' : ''}`,
      formatBytes(l.activationBytes),
      formatCount(l.macs),
    ];
    if (showRf) r.push(...rfText(l.receptiveField));
    return r;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const leftAligned = new Set([0, 1]);
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (leftAligned.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = '='.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1));
  const thin = '-'.repeat(rule.length);

  const t = s.training;
  const out: string[] = [
    `${s.model}: input ${shapeText(s.inputShape)}, ${s.mode} mode, per image, ${s.bytesPerValue * 8}-bit values`,
    rule,
    line(header),
    thin,
    ...rows.map(line),
    rule,
    `Total params:          ${formatCount(s.totalParams)} (${formatBytes(s.paramBytes)})`,
    `  trainable:           ${formatCount(s.trainableParams)}`,
    `  non-trainable:       ${formatCount(s.nonTrainableParams)}`,
  ];
  if (s.bufferValues > 0)
    out.push(`Buffer values:         ${formatCount(s.bufferValues)} (running statistics; not parameters)`);
  out.push(
    `Multiply-adds:         ${formatCount(s.macs)} (${formatShort(s.macs, 'MACs')}, ${formatShort(2 * s.macs, 'FLOPs')})`,
    `Input:                 ${formatCount(s.inputValues)} values (${formatBytes(s.inputValues * s.bytesPerValue)})`,
    `Forward activations:   ${formatCount(s.activationValues)} values, ${formatBytes(s.activationBytes)} ` +
      '(input + each layer output once; * = in place)',
    `  all layer outputs:   ${formatCount(s.allOutputValues)} values, ${formatBytes(s.allOutputBytes)} (kept by autograd for backward)`,
    `Training estimate:     ${formatBytes(t.totalBytes)} for a batch of ${t.batchSize} ` +
      `(params ${formatBytes(t.paramBytes)} + grads ${formatBytes(t.gradientBytes)} + optimizer ${formatBytes(t.optimizerBytes)} ` +
      `+ activations ${formatBytes(t.activationBytes)} + their grads ${formatBytes(t.activationGradientBytes)})`,
  );
  if (s.warnings.length > 0) {
    out.push('Warnings:');
    for (const w of s.warnings) out.push(`  - ${w}`);
  }
  return out.join('\n');
}

/**
 * A {@link ModelSummary} as JSON text for machines (`stride summary --json`): totalParams,
 * trainableParams, macs, activationBytes, ... and per layer name, type, outputShape, params, macs
 * and receptiveField, exactly the fields of the summary object.
 */
export function summaryJson(s: ModelSummary, space = 2): string {
  return JSON.stringify(s, null, space);
}
