import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../../../src/core/errors.js';
import {
  decodeCursor,
  encodeCursor,
  seekCondition,
  type SortKey,
} from '../../../src/obligations/obligation-cursor.js';

const key: SortKey = ['thanh-hoa-nq46', 2025, 'SO_NOIVU', 'SO_NOIVU'];

describe('obligation cursors', () => {
  it('round-trip through base64url (no padding, no + or /)', () => {
    const cursor = encodeCursor(['kế-hoạch', 2026, 'SO_NNMT', 'SO_NNPTNT']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(['kế-hoạch', 2026, 'SO_NNMT', 'SO_NNPTNT']);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['numbers for text', Buffer.from('[1,2,3,4]').toString('base64url')],
    ['a fractional year', Buffer.from('["p",2025.5,"A","A"]').toString('base64url')],
    [
      'too long a code',
      Buffer.from(JSON.stringify(['p', 2025, 'A'.repeat(65), 'A'])).toString('base64url'),
    ],
    ['null', Buffer.from('null').toString('base64url')],
  ])('a cursor that is %s is a ValidationError on the parameter', (_name, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor, 'after');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields).toEqual([
      { path: 'after', message: expect.stringContaining('nextCursor') },
    ]);
  });
});

describe('seekCondition', () => {
  it('without filters compares the whole sort key', () => {
    expect(seekCondition(key, {})).toEqual({
      sql: '(plan_id, year, agency_code, origin_agency_code) > (?, ?, ?, ?)',
      params: [...key],
    });
  });

  it('within a cycle compares what follows the equalities (an index range)', () => {
    expect(seekCondition(key, { plan_id: key[0], year: key[1] })).toEqual({
      sql: '(agency_code, origin_agency_code) > (?, ?)',
      params: ['SO_NOIVU', 'SO_NOIVU'],
    });
    expect(seekCondition(key, { plan_id: key[0], year: key[1], agency_code: key[2] })).toEqual({
      sql: 'origin_agency_code > ?',
      params: ['SO_NOIVU'],
    });
  });

  it("an agency filter leaves the other columns' order: (plan, year, origin)", () => {
    expect(seekCondition(key, { agency_code: 'SO_NOIVU' })).toEqual({
      sql: '(plan_id, year, origin_agency_code) > (?, ?, ?)',
      params: ['thanh-hoa-nq46', 2025, 'SO_NOIVU'],
    });
  });

  it("a cursor from another filter's rows falls back to the whole key", () => {
    expect(seekCondition(key, { plan_id: key[0], year: 2026 })).toEqual({
      sql: '(plan_id, year, agency_code, origin_agency_code) > (?, ?, ?, ?)',
      params: [...key],
    });
  });
});
