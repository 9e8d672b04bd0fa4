import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NativeAddon } from '../../src/backend/native/native-addon.js';
import { createNativeBackend } from '../../src/backend/native/native-backend.js';
import { addon, skipWithoutAddon } from './native-harness.js';

describe('conv and pool parameters cross into C++ by one declared layout', { skip: skipWithoutAddon }, () => {
  it('the addon reports its layouts by field name, and they are the parameter objects’ fields', () => {
    const layouts = addon!.paramLayouts!();
    assert.deepEqual(layouts.conv.slice(0, 4), ['batch', 'inChannels', 'inH', 'inW']);
    assert.equal(layouts.conv.length, 16);
    assert.equal(layouts.pool.at(-1), 'countIncludePad');
    assert.doesNotThrow(() => createNativeBackend(addon!));
  });

  it('an addon whose layout differs from the wrapper’s is refused at load, with the fix', () => {
    const real = addon!.paramLayouts!();
    const swapped = [...real.conv];
    [swapped[9], swapped[10]] = [swapped[10]!, swapped[9]!]; // padTop <-> padLeft
    // The addon's own properties are read-only: shadow paramLayouts on an object inheriting the rest.
    const other = Object.create(addon!, {
      paramLayouts: { value: () => ({ conv: swapped, pool: real.pool }) },
    }) as NativeAddon;
    assert.throws(
      () => createNativeBackend(other),
      /packs conv parameters as .*padLeft, padTop.*build:native/,
    );
  });
});
