import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialMetadata, metadataPatch } from './metadata-param.js';

describe('metadata parameter', () => {
  it('sets, unsets one key, or unsets all', () => {
    assert.deepEqual(metadataPatch({ a: '1', b: '' }, { b: 'x' }), { a: '1', b: null });
    assert.deepEqual(metadataPatch(null, { a: '1', b: '2' }), { a: null, b: null });
    assert.deepEqual(metadataPatch(undefined, { a: '1' }), {});
  });
  it('drops empty values on create', () => {
    assert.deepEqual(initialMetadata({ a: '1', b: '' }), { a: '1' });
    assert.deepEqual(initialMetadata(null), {});
  });
});
