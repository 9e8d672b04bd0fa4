import { StrideError } from '../errors.js';

/**
 * A model or weights file (safetensors, Stride model, ONNX, TF.js) was refused: it is truncated,
 * corrupt, hostile (sizes or offsets pointing outside the file), or uses something the reader does
 * not support. Nothing was loaded. The message says what was wrong and the fix; `file` names the
 * file when the bytes came from one.
 */
export class ModelFileError extends StrideError {
  /** The file at fault, or `'<bytes>'` when decoding bytes given in memory. */
  readonly file: string;
  constructor(op: string, file: string | undefined, problem: string, fix?: string) {
    const where = file ?? '<bytes>';
    super(op, `${where}: ${problem}${fix ? `. Fix: ${fix}` : ''}`);
    this.name = 'ModelFileError';
    this.file = where;
  }
}
