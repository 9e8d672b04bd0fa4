import { DataFileError } from '../data/data-file-error.js';

/**
 * An image file (or image bytes) could not be read: missing, empty, not an image, a truncated
 * JPEG or corrupt. `file` names it and `problem` holds the reason alone (one of
 * `IMAGE_FILE_PROBLEMS`, or `IMAGE_FILE_PROBLEMS.corrupt` with the decoder's words), so callers
 * can tell the cases apart without parsing the message.
 */
export class ImageFileError extends DataFileError {
  /** Why the image could not be used. */
  readonly problem: string;
  constructor(op: string, file: string, problem: string, fix?: string) {
    super(op, file, problem, fix);
    this.name = 'ImageFileError';
    this.problem = problem;
  }
}
