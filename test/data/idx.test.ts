import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataFileError } from '../../src/index.js';
import { loadIdxImages, parseIdx, readIdx } from '../../src/node-data.js';

const dir = mkdtempSync(join(tmpdir(), 'stride-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX file written byte by byte here: magic 00 00 type ndim, big-endian dims, then the body. */
function idx(type: number, dims: number[], body: number[] | Uint8Array): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...body]);
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Assert that `fn` throws a DataFileError naming `file` whose message matches `problem`. */
function rejects(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataFileError, `expected a DataFileError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
    assert.match(e.message, problem);
    return true;
  });
}

test('parses every IDX element type, big-endian', () => {
  const u8 = parseIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5, 255]), 'u8');
  assert.equal(u8.dtype, 'uint8');
  assert.deepEqual(u8.dims, [2, 3]);
  assert.deepEqual([...u8.data], [1, 2, 3, 4, 5, 255]);
  assert.deepEqual([...parseIdx(idx(0x09, [2], [0x7f, 0x80]), 'i8').data], [127, -128]);
  assert.deepEqual([...parseIdx(idx(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]), 'i16').data], [258, -2]);
  assert.deepEqual([...parseIdx(idx(0x0c, [1], [0xff, 0xff, 0xff, 0xfd]), 'i32').data], [-3]);
  // 1.5 as float32 is 3f c0 00 00; -2 as float64 is c0 00 00 00 00 00 00 00.
  assert.deepEqual([...parseIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0]), 'f32').data], [1.5]);
  assert.deepEqual([...parseIdx(idx(0x0e, [1], [0xc0, 0, 0, 0, 0, 0, 0, 0]), 'f64').data], [-2]);
});

test('gzip-compressed files are detected by their magic 1f 8b and read the same', () => {
  const plain = idx(0x08, [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
  const gz = write('small.gz', gzipSync(plain));
  const a = readIdx(gz);
  assert.deepEqual(a.dims, [2, 2, 2]);
  assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('a missing file is refused, naming it', () => {
  const p = join(dir, 'does-not-exist-idx1-ubyte');
  rejects(() => readIdx(p), p, /file not found/);
  rejects(() => readIdx(dir), dir, /not a regular file/);
});

test('a truncated body is refused with the declared and actual sizes', () => {
  const p = write('trunc-images', idx(0x08, [3, 2, 2], [1, 2, 3, 4, 5, 6, 7]));
  rejects(
    () => readIdx(p),
    p,
    /truncated: the header declares dimensions \[3, 2, 2\] of uint8 \(12 bytes of data\), but only 7 bytes follow the header \(1 complete items of 3\)/,
  );
});

test('a truncated header and a too-short file are refused', () => {
  const p = write('trunc-header', Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]));
  rejects(() => readIdx(p), p, /truncated header: 3 dimensions need 16 header bytes, the file has 8/);
  const q = write('tiny', Uint8Array.from([0, 0]));
  rejects(() => readIdx(q), q, /truncated: 2 bytes/);
});

test('a truncated gzip stream is refused', () => {
  const gz = gzipSync(idx(0x08, [100], new Uint8Array(100).fill(7)));
  const p = write('cut.gz', gz.subarray(0, gz.length - 12));
  rejects(() => readIdx(p), p, /gzip stream is corrupt or truncated/);
});

test('bad magic numbers are refused: not 00 00, unknown type, zero dimensions', () => {
  const png = write('picture.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
  rejects(() => readIdx(png), png, /bad magic number 89 50 4e 47/);
  const t = write('bad-type', Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]));
  rejects(() => readIdx(t), t, /unknown element type 0x07/);
  const z = write('zero-dims', Uint8Array.from([0, 0, 8, 0]));
  rejects(() => readIdx(z), z, /zero dimensions/);
});

test('extra bytes after the declared data are a dimension/size mismatch', () => {
  const p = write('extra', idx(0x08, [2], [1, 2, 3]));
  rejects(() => readIdx(p), p, /dimension\/size mismatch: .* 3 bytes follow the header \(1 extra\)/);
});

test('image/label pairs: mismatched counts, wrong ranks and out-of-range labels are refused', () => {
  mkdirSync(join(dir, 'pair'));
  const images = write('pair/images', idx(0x08, [3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]));
  const labels = write('pair/labels', idx(0x08, [3], [1, 0, 2]));
  const ds = loadIdxImages({ images, labels, numClasses: 3 });
  assert.deepEqual(ds.shape, [3, 1, 2, 2]);
  assert.deepEqual([...ds.data.subarray(0, 4)], [0, 1, Math.fround(0.2), Math.fround(0.4)]);
  assert.deepEqual([...ds.labels], [1, 0, 2]);

  const two = write('pair/two-labels', idx(0x08, [2], [1, 0]));
  rejects(
    () => loadIdxImages({ images, labels: two, numClasses: 3 }),
    two,
    /dimension mismatch: 2 labels for 3 images/,
  );
  const big = write('pair/bad-labels', idx(0x08, [3], [1, 12, 2]));
  rejects(
    () => loadIdxImages({ images, labels: big, numClasses: 10 }),
    big,
    /label 12 of item 1 is out of range: expected a class index in \[0, 10\)/,
  );
  rejects(
    () => loadIdxImages({ images: labels, labels, numClasses: 3 }),
    labels,
    /expected uint8 images of dimensions/,
  );
  rejects(
    () => loadIdxImages({ images, labels: images, numClasses: 3 }),
    images,
    /expected uint8 labels of dimensions \[N\]/,
  );
});
