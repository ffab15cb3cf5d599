import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidAppendError } from './errors.js';
import { MAX_EVENT_BYTES, type NewEvent } from './port.js';
import { validateNewEvents } from './validate-new-events.js';

const metadata = { occurredAt: '2026-01-01T00:00:00.000Z' };
const ok = (data: unknown = {}): NewEvent => ({ type: 'Happened', data, metadata });

describe('validateNewEvents', () => {
  it('serialises data and metadata once and generates lowercase uuids', () => {
    const [given, generated] = validateNewEvents('s-1', [
      { ...ok({ b: 1, a: 2 }), id: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE' },
      ok(),
    ]);
    assert.equal(given!.id, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    assert.equal(given!.data, '{"b":1,"a":2}');
    assert.equal(given!.metadata, JSON.stringify(metadata));
    assert.match(generated!.id, /^[0-9a-f-]{36}$/);
  });

  it('refuses an empty batch, a bad id, a missing type, unserialisable data', () => {
    assert.throws(() => validateNewEvents('s', []), InvalidAppendError);
    assert.throws(() => validateNewEvents('s', [{ ...ok(), id: 'evt_1' }]), /not a uuid/);
    assert.throws(() => validateNewEvents('s', [{ ...ok(), type: '' }]), /type is required/);
    assert.throws(() => validateNewEvents('s', [ok(10n)]), /not JSON-serialisable/);
    assert.throws(() => validateNewEvents('s', [{ ...ok(), data: undefined }]), /not JSON-serialisable/);
  });

  it('counts UTF-8 bytes of data plus metadata against MAX_EVENT_BYTES', () => {
    const room = MAX_EVENT_BYTES - JSON.stringify(metadata).length - 2; // 2 = the quotes around the string
    assert.doesNotThrow(() => validateNewEvents('s', [ok('x'.repeat(room))]));
    assert.throws(() => validateNewEvents('s', [ok('x'.repeat(room + 1))]), /limit is 1048576/);
    assert.throws(() => validateNewEvents('s', [ok('é'.repeat(room / 2 + 1))]), InvalidAppendError);
  });
});
