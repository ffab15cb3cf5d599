import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { previousAttributes } from './previous-attributes.js';

describe('previousAttributes', () => {
  it('lists only changed attributes with their previous values', () => {
    assert.deepEqual(previousAttributes({ a: 1, b: 'x', c: null }, { a: 1, b: 'y', c: 'z' }), {
      b: 'x',
      c: null,
    });
  });
  it('recurses into hashes and reports new keys as null', () => {
    assert.deepEqual(
      previousAttributes(
        { metadata: { keep: '1', change: 'old', drop: 'gone' } },
        { metadata: { keep: '1', change: 'new', add: 'x' } },
      ),
      { metadata: { change: 'old', drop: 'gone', add: null } },
    );
  });
  it('treats arrays as values', () => {
    assert.deepEqual(previousAttributes({ l: ['a'] }, { l: ['a', 'b'] }), { l: ['a'] });
  });
  it('says nothing when nothing changed', () => {
    assert.deepEqual(previousAttributes({ a: { b: 1 } }, { a: { b: 1 } }), {});
  });
});
