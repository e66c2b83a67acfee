import { describe, expect, it } from '@jest/globals';
import { isoInstant, parseInstant } from '../../../src/core/instant.js';
import { newObligationId } from '../../../src/obligations/obligation-id.js';

describe('obligation ids', () => {
  it('are UUID version 7 strings that increase in creation order', () => {
    const ids = Array.from({ length: 5000 }, () => newObligationId());
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Created within a few milliseconds: the ids sort in the order they were made, so a cycle's
    // obligations sit together in the indexes keyed by obligation id.
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('memoised instants', () => {
  it('format like Date#toISOString, for many distinct instants and the same one again', () => {
    const base = Date.UTC(2025, 10, 14, 17, 0, 0, 0);
    for (let i = 0; i < 10_000; i += 7) {
      const ms = base + i * 997;
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => isoInstant(Number.NaN)).toThrow(RangeError);
  });

  it('parse like Date.parse, NaN included', () => {
    for (const s of [
      '2025-11-14T17:00:00.000Z',
      '2025-11-15T00:00:00+07:00',
      '2025-11-14T17:00:00.000Z',
      'not a date',
    ])
      expect(Object.is(parseInstant(s), Date.parse(s))).toBe(true);
  });
});
