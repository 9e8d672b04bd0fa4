/**
 * CLI option defaults live in one place: where a command passes an option on to a library function
 * with its own default, the flag's default is that function's (exported) default, so `--help` shows
 * what the code uses. The library defaults are checked against what the functions resolve, and no
 * command falls back to a literal after reading an option.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as st from '../../src/node.js';
import { resolveServeOptions } from '../../src/serve/serve-options.js';
import { batchHelp } from '../../src/cli/commands/batch.js';
import { convertHelp } from '../../src/cli/commands/convert.js';
import { serveHelp } from '../../src/cli/commands/serve.js';
import { styleHelp } from '../../src/cli/commands/style.js';
import { trainHelp } from '../../src/cli/commands/train.js';
import { vizHelp } from '../../src/cli/commands/viz.js';
import { workerHelp } from '../../src/cli/commands/worker.js';

/** The help line of `--flag`. */
function helpLine(help: string, flag: string): string {
  const line = help.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `));
  assert.ok(line, `--${flag} is in the help`);
  return line;
}

test("the flags show the library's defaults", () => {
  const shows = (help: string, flag: string, value: number | string): void =>
    assert.match(
      helpLine(help, flag),
      new RegExp(`\\(default: ${String(value).replace('.', '\\.')}\\)`),
      flag,
    );
  const d = st.SERVE_DEFAULTS;
  shows(serveHelp, 'host', d.host);
  shows(serveHelp, 'port', d.port);
  shows(serveHelp, 'max-batch', d.maxBatch);
  shows(serveHelp, 'batch-delay-ms', d.batchDelayMs);
  shows(serveHelp, 'queue', d.queueLimit);
  shows(serveHelp, 'timeout-ms', d.timeoutMs);
  shows(serveHelp, 'body-limit-mb', d.bodyLimit / 2 ** 20);
  shows(serveHelp, 'max-pixels', d.maxPixels);
  shows(serveHelp, 'rate-limit', d.rateLimit);
  shows(batchHelp, 'attempts', st.BATCH_DEFAULTS.attempts);
  shows(workerHelp, 'concurrency', st.BATCH_DEFAULTS.concurrency);
  shows(workerHelp, 'lock-ms', st.BATCH_DEFAULTS.lockMs);
  shows(workerHelp, 'top-k', st.BATCH_DEFAULTS.topK);
  shows(convertHelp, 'opset', st.DEFAULT_ONNX_OPSET);
  shows(styleHelp, 'optimizer', st.STYLE_TRANSFER_DEFAULTS.optimizer);
  shows(styleHelp, 'content-weight', st.STYLE_TRANSFER_DEFAULTS.contentWeight);
  shows(styleHelp, 'style-weight', st.STYLE_TRANSFER_DEFAULTS.styleWeight);
  shows(styleHelp, 'tv-weight', st.STYLE_TRANSFER_DEFAULTS.tvWeight);
  shows(vizHelp, 'octaves', st.viz.DEEP_DREAM_DEFAULTS.octaves);
  assert.match(trainHelp, /default\s+2000\/500\)/, 'the segmentation canvas counts are in the help');
});

test('the library resolves the defaults it exports', () => {
  const r = resolveServeOptions({ models: ['lenet5'] });
  for (const [k, v] of Object.entries(st.SERVE_DEFAULTS)) assert.equal(r[k as keyof typeof r], v, k);
  // An ONNX export without `opset` writes the exported default.
  const bytes = st.exportOnnx(new st.Linear(2, 1), st.randn([1, 2]));
  const model = st.decodeOnnxModel(bytes);
  assert.equal(model.opsetImports.find((o) => o.domain === '')?.version, st.DEFAULT_ONNX_OPSET);
});

test('no command falls back to a literal after reading an option (the default belongs in its spec)', () => {
  const dir = new URL('../../src/cli/commands/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(new URL(file, dir), 'utf8');
    const bad = src.match(/(options|o)(\.[a-zA-Z]+|\['[a-z-]+'\])( as [a-z |]+\))? \?\? ['0-9]/g) ?? [];
    assert.deepEqual(bad, [], `${file}: put the default in the option's spec or a named constant`);
  }
});
