import { StrideError } from '../errors.js';

/**
 * A dataset file or folder could not be used: it is missing, truncated, corrupt, or holds values
 * out of range. The message names the file, the problem and the fix; `file` holds the path.
 */
export class DataFileError extends StrideError {
  /** The file or folder at fault. */
  readonly file: string;
  constructor(op: string, file: string, problem: string, fix?: string) {
    super(op, `${file}: ${problem}${fix ? `. Fix: ${fix}` : ''}`);
    this.name = 'DataFileError';
    this.file = file;
  }
}
