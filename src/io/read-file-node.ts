import { readFileSync } from 'node:fs';
import { ModelFileError } from './model-file-error.js';

/** Read a whole file, turning file-system errors into a {@link ModelFileError} with a fix. */
export function readModelFile(path: string, op = 'load'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'ERR_FS_FILE_TOO_LARGE'
            ? 'is too large to read into memory'
            : `cannot be read (${(err as Error).message})`;
    throw new ModelFileError(op, path, problem, 'check the path');
  }
}
