import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../../src/cli/args.js';
import { closest, editDistance } from '../../src/cli/did-you-mean.js';

const specs = {
  epochs: { type: 'int', help: 'passes', min: 1, default: 2 },
  lr: { type: 'number', help: 'learning rate', default: 0.002 },
  'val-split': { type: 'number', help: 'held out', min: 0, max: 0.9, default: 0 },
  optimizer: { type: 'string', help: 'optimizer', choices: ['adam', 'sgd'], default: 'adam' },
  augment: { type: 'list', help: 'augmentations', choices: ['flip', 'crop', 'rotate'] },
  shift: { type: 'number', help: 'a value that may be negative' },
  out: { type: 'string', help: 'run directory' },
  json: { type: 'boolean', help: 'print JSON' },
} satisfies Record<string, OptionSpec>;

function usageError(argv: string[]): string {
  try {
    parseArgs(argv, specs);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('CLI argument parser', () => {
  it('fills in the defaults declared in the spec, and nothing for options without one', () => {
    const { positional, options, given } = parseArgs(['resnet18'], specs);
    assert.deepEqual(positional, ['resnet18']);
    assert.deepEqual(options, {
      epochs: 2,
      lr: 0.002,
      'val-split': 0,
      optimizer: 'adam',
      json: false,
    });
    assert.equal(given.size, 0);
  });

  it('reads --name value, --name=value, flags, lists, negative values and --', () => {
    const r = parseArgs(
      [
        'm',
        '--epochs',
        '5',
        '--lr=0.1',
        '--json',
        '--augment',
        'flip,crop',
        '--shift',
        '-1.5',
        '--',
        '--out',
      ],
      specs,
    );
    assert.deepEqual(r.positional, ['m', '--out']);
    assert.equal(r.options.epochs, 5);
    assert.equal(r.options.lr, 0.1);
    assert.equal(r.options.json, true);
    assert.deepEqual(r.options.augment, ['flip', 'crop']);
    assert.equal(r.options.shift, -1.5);
    assert.equal(r.options.out, undefined);
    assert.deepEqual([...r.given].sort(), ['augment', 'epochs', 'json', 'lr', 'shift']);
  });

  it('suggests the closest option for a typo, in one line', () => {
    assert.equal(usageError(['--epohcs', '3']), 'unknown option --epohcs; did you mean --epochs?');
    assert.equal(usageError(['--valsplit', '0.2']), 'unknown option --valsplit; did you mean --val-split?');
    assert.equal(usageError(['--val', '0.2']), 'unknown option --val; did you mean --val-split?');
    assert.match(usageError(['--colour', 'x']), /^unknown option --colour \(options: --epochs, --lr, /);
  });

  it('refuses missing values, values of flags, bad numbers, ranges and choices in CLI words', () => {
    assert.equal(usageError(['--epochs']), '--epochs needs a value: passes');
    assert.equal(usageError(['--epochs', '--lr', '1']), '--epochs needs a value: passes');
    assert.equal(usageError(['--json=no']), "--json is a flag and takes no value; got '--json=no'");
    assert.equal(usageError(['--epochs', 'two']), "--epochs must be a number; got 'two'");
    assert.equal(usageError(['--epochs', '1.5']), "--epochs must be an integer; got '1.5'");
    assert.equal(usageError(['--epochs', '0']), '--epochs must be at least 1; got 0');
    assert.equal(usageError(['--val-split', '1']), '--val-split must be from 0 to 0.9; got 1');
    assert.equal(
      usageError(['--optimizer', 'adma']),
      "--optimizer must be one of adam, sgd; got 'adma' (did you mean adam?)",
    );
    assert.equal(
      usageError(['--augment', 'flip,blur']),
      "--augment must be one of flip, crop, rotate; got 'blur'",
    );
  });

  it('help shows each option once with its values, range and default', () => {
    const help = formatOptions(specs);
    assert.match(help, /--epochs N\s+passes \(default: 2; at least 1\)/);
    assert.match(help, /--val-split N\s+held out \(default: 0; from 0 to 0\.9\)/);
    assert.match(help, /--optimizer adam\|sgd\s+optimizer \(default: adam\)/);
    assert.match(help, /--augment flip,crop,rotate\s+augmentations$/m);
    assert.match(help, /--json\s+print JSON$/m);
  });

  it('edit distance counts insertions, deletions, substitutions and swaps', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('epochs', 'epohcs'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(closest('trian', ['train', 'predict', 'evaluate']), 'train');
    assert.equal(closest('xyz', ['train', 'predict']), null);
  });
});

describe('CLI argument parser types', () => {
  it('a spec record typed as plain OptionSpec parses to the union of value types', () => {
    const wide: Record<string, OptionSpec> = { epochs: { type: 'int', help: 'passes', default: 3 } };
    const { options } = parseArgs(['--epochs', '4'], wide);
    // Compiles only when the value type includes number (tsc checks the tests).
    const epochs = options['epochs'] as number;
    assert.equal(epochs, 4);
  });
});
