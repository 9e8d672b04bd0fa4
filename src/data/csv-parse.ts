import { ValueError } from '../errors.js';
import { DataFileError } from './data-file-error.js';
import { TensorDataset } from './dataset.js';

/** Options of {@link parseCsv} and `loadCsv`. */
export interface CsvOptions {
  /**
   * The label column: its index (negative counts from the end) or its header name (default: the
   * last column). Labels that are all non-negative integers are used as class indices; otherwise
   * the distinct values, sorted, become the classes (`classNames`).
   */
  labelColumn?: number | string;
  /** Whether the first row is a header: `true`, `false`, or `'auto'` (the default; see {@link parseCsv}). */
  header?: boolean | 'auto';
  /** Field separator (default `,`). */
  delimiter?: string;
  /** Where the text came from, named in errors (default `CSV text`). */
  source?: string;
}

/** Split CSV text into rows of fields (RFC 4180 quoting: `"a, b"`, `""` for a quote). Blank lines are skipped. */
function splitRows(text: string, delimiter: string, source: string): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let field = '';
  let fields: string[] = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let wasQuoted = false;
  const endRow = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0]!.trim() !== '' || wasQuoted) rows.push({ fields, line: rowLine });
    fields = [];
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (text.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length - 1;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new DataFileError('parseCsv', source, `line ${rowLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

const isNumeric = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * Parse CSV text into a `TensorDataset` of `[F]` float32 feature vectors (every column but the
 * label column) and integer labels, e.g. the iris data: four measurements and a species.
 *
 * Header detection (`header: 'auto'`): the first row is a header when some feature column holds a
 * non-number in the first row and a number in the second (or when it is the only row and holds a
 * non-number). A non-numeric feature, an empty field or a row with the wrong number of fields is
 * refused with a `DataFileError` naming the source, line and column.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): TensorDataset {
  const op = 'parseCsv';
  const source = opts.source ?? 'CSV text';
  const delimiter = opts.delimiter ?? ',';
  if (delimiter.length === 0 || delimiter === '"' || /[\r\n]/.test(delimiter)) {
    throw new ValueError(
      op,
      `delimiter must be a non-empty string without quotes or line breaks, got ${JSON.stringify(delimiter)}`,
    );
  }
  const rows = splitRows(text.startsWith('\ufeff') ? text.slice(1) : text, delimiter, source);
  if (rows.length === 0) throw new DataFileError(op, source, 'no rows: the CSV is empty');
  const width = rows[0]!.fields.length;
  if (width < 2) {
    throw new DataFileError(
      op,
      source,
      `line ${rows[0]!.line} has ${width} field; expected at least one feature and a label`,
      `check the delimiter (currently ${JSON.stringify(delimiter)})`,
    );
  }
  for (const r of rows) {
    if (r.fields.length !== width) {
      throw new DataFileError(
        op,
        source,
        `line ${r.line} has ${r.fields.length} fields, expected ${width} like the first row`,
      );
    }
  }
  // The label column, provisionally from its index, to tell feature columns for header detection.
  const byIndex = (k: number): number => {
    const idx = k < 0 ? width + k : k;
    if (!Number.isInteger(k) || idx < 0 || idx >= width) {
      throw new ValueError(op, `labelColumn ${k} is out of range for rows of ${width} fields`);
    }
    return idx;
  };
  const lc = opts.labelColumn;
  const provisional = typeof lc === 'number' ? byIndex(lc) : lc === undefined ? width - 1 : -1;
  let header: boolean;
  if (opts.header === undefined || opts.header === 'auto') {
    const first = rows[0]!.fields;
    const second = rows[1]?.fields;
    if (typeof lc === 'string') header = true;
    else {
      header = first.some(
        (f, j) => j !== provisional && !isNumeric(f) && (second === undefined || isNumeric(second[j]!)),
      );
    }
  } else header = opts.header;
  const names = header ? rows[0]!.fields.map((f) => f.trim()) : null;
  let labelIdx: number;
  if (typeof lc === 'string') {
    if (names === null)
      throw new ValueError(op, `labelColumn '${lc}' is a name, but ${source} has no header row`);
    labelIdx = names.indexOf(lc);
    if (labelIdx < 0) {
      throw new DataFileError(op, source, `no column named '${lc}' in the header (${names.join(', ')})`);
    }
  } else labelIdx = provisional;
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw new DataFileError(op, source, 'no data rows after the header');
  const features = width - 1;
  const data = new Float32Array(body.length * features);
  const rawLabels: string[] = [];
  body.forEach((r, i) => {
    let k = 0;
    r.fields.forEach((f, j) => {
      if (j === labelIdx) {
        if (f.trim() === '') throw new DataFileError(op, source, `line ${r.line}: the label field is empty`);
        rawLabels.push(f.trim());
        return;
      }
      if (!isNumeric(f)) {
        const col = names ? `'${names[j]}' (column ${j})` : `column ${j}`;
        throw new DataFileError(
          op,
          source,
          `line ${r.line}, ${col}: ${f.trim() === '' ? 'empty field' : `'${f}' is not a number`}`,
          'features must be numbers; pass labelColumn if this column holds the label',
        );
      }
      data[i * features + k++] = Number(f);
    });
  });
  const labels = new Int32Array(body.length);
  let classNames: string[] | undefined;
  if (rawLabels.every((s) => /^\d+$/.test(s))) {
    rawLabels.forEach((s, i) => (labels[i] = Number(s)));
  } else {
    classNames = [...new Set(rawLabels)].sort();
    const index = new Map(classNames.map((n, i) => [n, i]));
    rawLabels.forEach((s, i) => (labels[i] = index.get(s)!));
  }
  return new TensorDataset({
    data,
    labels,
    sampleShape: [features],
    ...(classNames ? { classNames } : {}),
    source,
  });
}
