import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  fsyncSync,
  renameSync,
  rmSync,
  writeSync,
  statSync,
  readdirSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ValueError } from '../errors.js';

function tempSibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function writeSynced(path: string, bytes: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write a file atomically: the bytes go to a temporary file next to `path`, are flushed to disk,
 * and the temporary file is renamed over `path`. Readers see the old file or the new one, never a
 * half-written one; on failure the temporary file is removed and `path` is untouched.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempSibling(path, 'tmp');
  try {
    writeSynced(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Write a directory of files as one unit: they are written (and flushed) into a temporary
 * directory next to `dir`, which then replaces `dir` by rename. An existing `dir` is only replaced
 * when `isReplaceable(dir)` says so (e.g. it holds an earlier save), so a wrong path cannot wipe
 * unrelated files. Between the two renames the previous version sits in a hidden sibling
 * `.<name>.old-*`, which is removed once the new directory is in place.
 */
export function writeDirectoryAtomic(
  dir: string,
  files: Readonly<Record<string, Uint8Array | string>>,
  isReplaceable: (dir: string) => boolean,
): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new ValueError('save', `${dir} exists and is a file. Fix: remove it, or save to another path`);
    }
    if (readdirSync(dir).length > 0 && !isReplaceable(dir)) {
      throw new ValueError(
        'save',
        `${dir} is a non-empty directory that does not hold a saved model; refusing to replace it. Fix: save to a new or empty directory`,
      );
    }
  }
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempSibling(dir, 'tmp');
  mkdirSync(tmp);
  try {
    for (const [name, bytes] of Object.entries(files)) writeSynced(join(tmp, name), bytes);
    if (existsSync(dir)) {
      const old = tempSibling(dir, 'old');
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
