import { describe, expect, it } from 'vitest';
import { AdminError } from '../../../src/admin/admin-error.js';
import { parseFields, parseRange, pickFields, sliceRange } from '../../../src/admin/query.js';

describe('range', () => {
  const items = ['a', 'b', 'c', 'd'];
  it('returns items START through END inclusive, counted from 0, cut off at the end', () => {
    expect(sliceRange(items, parseRange('0-0'))).toEqual(['a']);
    expect(sliceRange(items, parseRange('1-2'))).toEqual(['b', 'c']);
    expect(sliceRange(items, parseRange('2-99'))).toEqual(['c', 'd']);
    expect(sliceRange(items, parseRange('10-20'))).toEqual([]);
    expect(sliceRange(items, null)).toEqual(items);
  });
  it('rejects reversed, non-numeric and malformed ranges with a 400', () => {
    for (const bad of ['3-1', 'a-b', '1', '-1-2', '1-', '', '1-2-3', ' 1-2']) {
      expect(() => parseRange(bad), bad).toThrow(AdminError);
    }
  });
});

describe('fields', () => {
  const session = { id: '1', user: 'jdoe', statistics: { reads: 3, writes: 4 }, list: [{ a: 1, b: 2 }] };
  it('keeps only the named fields, nested ones as parent/child', () => {
    expect(pickFields(session, parseFields('id,user'))).toEqual({ id: '1', user: 'jdoe' });
    expect(pickFields(session, parseFields('statistics/reads'))).toEqual({ statistics: { reads: 3 } });
    expect(pickFields(session, parseFields('id,statistics/reads,statistics/writes'))).toEqual({ id: '1', statistics: { reads: 3, writes: 4 } });
    // Asking for a whole object and one of its fields gives the whole object.
    expect(pickFields(session, parseFields('statistics,statistics/reads'))).toEqual({ statistics: { reads: 3, writes: 4 } });
    expect(pickFields([session, session], parseFields('id'))).toEqual([{ id: '1' }, { id: '1' }]);
    expect(pickFields(session, parseFields('list/a'))).toEqual({ list: [{ a: 1 }] });
    expect(pickFields(session, parseFields('nope'))).toEqual({});
  });
  it('rejects malformed field lists with a 400', () => {
    for (const bad of ['', ',', 'a,,b', 'a/', '/a', 'a b', 'a;b']) expect(() => parseFields(bad), bad).toThrow(AdminError);
  });
});
