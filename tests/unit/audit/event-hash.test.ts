/**
 * The hashes stored in every chain must never change: the fast serialisations of eventHash and
 * ledgerHash must equal the generic canonical JSON for any input, and known vectors (computed
 * with the generic serialisation when the chains were introduced) must keep their values.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  canonicalJson,
  eventHash,
  eventHashGeneric,
  ledgerHash,
  ledgerHashGeneric,
  type HashedEventFields,
} from '../../../src/core/audit/event-hash.js';

const REPORT: HashedEventFields = {
  obligationId: '00000000-0000-4000-8000-000000000001',
  seq: 2,
  type: 'SUBMIT_REPORT',
  payload: { reportRef: '210/BC-SNN', summary: 'Báo cáo kết quả thực hiện' },
  actor: 'officer.snn',
  reason: null,
  effectiveAt: '2025-11-10T03:00:00.000Z',
  recordedAt: '2025-11-10T03:00:00.000Z',
  machineVersion: 'annual-report@1',
  prevHash: '0'.repeat(64),
};

// Strings with quotes, backslashes, control characters, Vietnamese in NFC and NFD, astral planes.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    'Sở Nông nghiệp',
    'Sở Nông nghiệp'.normalize('NFD'),
    'a"b\\c',
    '\u0000\n\t',
    '😀',
  ),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    text,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 5 }),
  ),
})).value;
const fields = fc.record({
  obligationId: text,
  seq: fc.integer({ min: 1 }),
  type: text,
  payload: json,
  actor: text,
  reason: fc.option(text, { nil: null }),
  effectiveAt: text,
  recordedAt: text,
  machineVersion: text,
  prevHash: text,
});

describe('event and ledger hashes', () => {
  it('keep the values of the canonical serialisation (known vectors)', () => {
    expect(eventHash(REPORT)).toBe(
      'f02114632a878f2a5b19074d4f38e57efc09345119dfa11e394e92b0fc7fe4a9',
    );
    expect(ledgerHash(7, 'a'.repeat(64), '0'.repeat(64))).toBe(
      'db3956b6bc618eb65c508b3afaf02f4b3484f20bd8bb319129a9a0c370fdbf56',
    );
  });

  it('the fast event hash equals the generic one for any fields', () => {
    fc.assert(
      fc.property(fields, (e) => eventHash(e) === eventHashGeneric(e)),
      { numRuns: 2000 },
    );
  });

  it('the fast ledger hash equals the generic one for any link', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0 }),
        text,
        text,
        (position, h, prev) =>
          ledgerHash(position, h, prev) === ledgerHashGeneric(position, h, prev),
      ),
      { numRuns: 2000 },
    );
  });

  it('canonical JSON sorts keys at every depth, drops undefined members and normalises to NFC', () => {
    const nfd = 'Sở Nông nghiệp'.normalize('NFD');
    expect(canonicalJson({ b: 1, a: { d: [nfd, null], c: undefined }, [nfd]: true })).toBe(
      // UTF-16 code unit order: "S" (0x53) before "a" (0x61).
      `{"Sở Nông nghiệp":true,"a":{"d":["Sở Nông nghiệp",null]},"b":1}`,
    );
    expect(canonicalJson('say "hi"\\\n')).toBe(JSON.stringify('say "hi"\\\n'));
  });

  it('an absent payload is left out, as the generic serialisation does', () => {
    const e = { ...REPORT, payload: undefined };
    expect(eventHash(e)).toBe(eventHashGeneric(e));
  });
});
