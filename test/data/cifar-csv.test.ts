import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataFileError, parseCsv } from '../../src/index.js';
import { loadCifar10, loadCifar100, loadCsv, readCifarBinary } from '../../src/node-data.js';

// No CIFAR data is reachable here: these files are generated in the documented binary layout
// (label byte(s), then 1024 red, 1024 green, 1024 blue bytes, each plane row by row).
const dir = mkdtempSync(join(tmpdir(), 'stride-cifar-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One record whose pixel (channel c, row i, col j) holds (label + 7c + 3i + j) mod 256. */
function record(labels: number[]): Uint8Array {
  const r = new Uint8Array(labels.length + 3072);
  r.set(labels);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < 32; i++)
      for (let j = 0; j < 32; j++)
        r[labels.length + c * 1024 + i * 32 + j] = (labels[0]! + 7 * c + 3 * i + j) % 256;
  return r;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test('CIFAR-10 binary: [N, 3, 32, 32] in [0, 1], labels, CHW order, several files concatenated', () => {
  const a = join(dir, 'a.bin');
  const b = join(dir, 'b.bin');
  writeFileSync(a, concat([record([3]), record([9])]));
  writeFileSync(b, record([0]));
  const ds = readCifarBinary([a, b]);
  assert.deepEqual(ds.shape, [3, 3, 32, 32]);
  assert.deepEqual([...ds.labels], [3, 9, 0]);
  assert.equal(ds.numClasses, 10);
  // Item 1 (label 9): green (c = 1), row 2, column 5 -> (9 + 7 + 6 + 5) / 255.
  assert.equal(ds.data[1 * 3072 + 1 * 1024 + 2 * 32 + 5], Math.fround(27 / 255));
  assert.equal(ds.data[2 * 3072], 0);
});

test('CIFAR-10 folder layout: five training batches, the test batch and class names', () => {
  const root = join(dir, 'cifar-10-batches-bin');
  mkdirSync(root);
  for (let k = 1; k <= 5; k++) writeFileSync(join(root, `data_batch_${k}.bin`), record([k]));
  writeFileSync(join(root, 'test_batch.bin'), concat([record([7]), record([2])]));
  const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  writeFileSync(join(root, 'batches.meta.txt'), names.join('\n') + '\n\n');
  const train = loadCifar10({ path: dir });
  assert.deepEqual([...train.labels], [1, 2, 3, 4, 5]);
  assert.deepEqual(train.classNames, names);
  const testSet = loadCifar10({ path: root, split: 'test' });
  assert.deepEqual([...testSet.labels], [7, 2]);
});

test('CIFAR-100 binary: fine labels by default, coarse on request', () => {
  const root = join(dir, 'cifar-100-binary');
  mkdirSync(root);
  writeFileSync(join(root, 'train.bin'), concat([record([4, 87]), record([19, 0])]));
  const fine = loadCifar100({ path: dir });
  assert.deepEqual([...fine.labels], [87, 0]);
  assert.equal(fine.numClasses, 100);
  const coarse = loadCifar100({ path: dir, labelMode: 'coarse' });
  assert.deepEqual([...coarse.labels], [4, 19]);
  assert.equal(coarse.numClasses, 20);
});

test('corrupt CIFAR files are refused naming the file: truncated, empty, label out of range, missing', () => {
  const isError = (file: string, re: RegExp) => (e: unknown) =>
    e instanceof DataFileError && e.file === file && e.message.includes(file) && re.test(e.message);
  const cut = join(dir, 'cut.bin');
  writeFileSync(cut, concat([record([1]), record([2]).subarray(0, 1000)]));
  assert.throws(
    () => readCifarBinary(cut),
    isError(
      cut,
      /truncated: 4073 bytes is not a whole number of 3073-byte CIFAR-10 records \(1 complete, 1000 bytes left over\)/,
    ),
  );
  const empty = join(dir, 'empty.bin');
  writeFileSync(empty, new Uint8Array(0));
  assert.throws(() => readCifarBinary(empty), isError(empty, /empty/));
  const bad = join(dir, 'bad-label.bin');
  writeFileSync(bad, concat([record([1]), record([10])]));
  assert.throws(
    () => readCifarBinary(bad),
    isError(bad, /label 10 of record 1 is out of range: expected a class index in \[0, 10\)/),
  );
  const missing = join(dir, 'nope.bin');
  assert.throws(() => readCifarBinary(missing), isError(missing, /file not found/));
  assert.throws(() => loadCifar10({ path: join(dir, 'nowhere') }), /nowhere: folder not found/);
  assert.throws(() => loadCifar10({ path: join(dir, 'cifar-100-binary') }), /holds data_batch_1\.bin/);
});

test('CSV: header detected, numeric features, string labels become sorted classes', () => {
  const text = [
    'sepal_length,sepal_width,petal_length,petal_width,species',
    '5.1,3.5,1.4,0.2,setosa',
    '7.0,3.2,4.7,1.4,versicolor',
    '',
    '6.3,3.3,6.0,2.5,virginica',
    '4.9,3.0,1.4,0.2,setosa',
  ].join('\r\n');
  const ds = parseCsv(text);
  assert.deepEqual(ds.shape, [4, 4]);
  assert.deepEqual(ds.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual([...ds.labels], [0, 1, 2, 0]);
  assert.deepEqual([...ds.data.subarray(4, 8)], [7, 3.2, 4.7, 1.4].map(Math.fround));
});

test('CSV: no header, integer labels in the first column, quoted fields, ; delimiter, a file on disk', () => {
  const ds = parseCsv('2;"1.5";3\n0;4;"-5e-1"\n', { labelColumn: 0, delimiter: ';' });
  assert.deepEqual(ds.shape, [2, 2]);
  assert.deepEqual([...ds.labels], [2, 0]);
  assert.equal(ds.classNames, undefined);
  assert.deepEqual([...ds.data], [1.5, 3, 4, -0.5]);
  const file = join(dir, 'iris-like.csv');
  writeFileSync(file, 'a,b,label\n1,2,yes\n3,4,no\n');
  const fromFile = loadCsv(file, { labelColumn: 'label' });
  assert.deepEqual(fromFile.classNames, ['no', 'yes']);
  assert.deepEqual([...fromFile.labels], [1, 0]);
  assert.equal(fromFile.source, file);
});

test('CSV errors name the source, line and column', () => {
  const file = join(dir, 'broken.csv');
  writeFileSync(file, 'x,y,label\n1,2,a\n3,oops,b\n');
  assert.throws(
    () => loadCsv(file),
    (e: unknown) =>
      e instanceof DataFileError &&
      e.message.includes(`${file}: line 3, 'y' (column 1): 'oops' is not a number`),
  );
  assert.throws(() => parseCsv('1,2,a\n3,,b\n'), /line 2, column 1: empty field/);
  assert.throws(() => parseCsv('1,2,a\n3,4\n'), /line 2 has 2 fields, expected 3/);
  assert.throws(() => parseCsv('a,b\n1,2\n', { labelColumn: 'c' }), /no column named 'c'/);
  assert.throws(() => loadCsv(join(dir, 'missing.csv')), /missing\.csv: file not found/);
});
