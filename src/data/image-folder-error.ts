import { DataFileError } from './data-file-error.js';

/** One image of a folder that could not be used. */
export interface BadImage {
  /** The image file. */
  readonly file: string;
  /** Why, e.g. `IMAGE_FILE_PROBLEMS.truncatedJpeg`. */
  readonly problem: string;
}

/**
 * Some images of an image folder do not decode. Every bad file is listed (path and reason), not
 * just the first, so that one pass finds them all; `file` is the bad image when there is one, else
 * the folder.
 */
export class ImageFolderError extends DataFileError {
  /** Every image that failed, in file order. */
  readonly badImages: readonly BadImage[];
  constructor(op: string, root: string, badImages: readonly BadImage[]) {
    const first = badImages[0]!;
    const only = badImages.length === 1;
    super(
      op,
      only ? first.file : root,
      only
        ? first.problem
        : `${badImages.length} images do not decode:\n${badImages.map((b) => `  ${b.file}: ${b.problem}`).join('\n')}\n`,
      `remove or replace ${only ? 'the file' : 'these files'}; JPEG, PNG and WebP are read`,
    );
    this.name = 'ImageFolderError';
    this.badImages = Object.freeze([...badImages]);
  }
}
