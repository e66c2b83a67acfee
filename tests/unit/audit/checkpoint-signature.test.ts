import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkpointSignatureValid,
  loadAuditKey,
  parseCheckpointDocument,
  signCheckpoint,
  type CheckpointDocument,
} from '../../../src/audit/checkpoint.service.js';
import { DomainError } from '../../../src/core/errors.js';

const KEY = 'k'.repeat(40);
const facts = {
  position: 1200,
  hash: 'ab'.repeat(32),
  eventCount: 1200,
  createdAt: '2025-11-14T17:00:00.000Z',
};
const doc = (): CheckpointDocument => ({
  ...facts,
  signature: signCheckpoint(KEY, facts),
  algorithm: 'HMAC-SHA256',
});

describe('checkpoint signatures', () => {
  it('a signed document verifies with its key, and not with another or after any change', () => {
    expect(checkpointSignatureValid(KEY, doc())).toBe(true);
    expect(checkpointSignatureValid('x'.repeat(40), doc())).toBe(false);
    expect(checkpointSignatureValid(KEY, { ...doc(), position: 1201 })).toBe(false);
    expect(checkpointSignatureValid(KEY, { ...doc(), hash: 'cd'.repeat(32) })).toBe(false);
    expect(checkpointSignatureValid(KEY, { ...doc(), eventCount: 1 })).toBe(false);
    expect(checkpointSignatureValid(KEY, { ...doc(), createdAt: '2026-01-01T00:00:00.000Z' })).toBe(
      false,
    );
    expect(checkpointSignatureValid(KEY, { ...doc(), signature: 'zz' })).toBe(false);
    expect(checkpointSignatureValid(KEY, { ...doc(), algorithm: 'none' })).toBe(false);
  });

  it('parses a document (extra fields dropped) and names every bad field', () => {
    expect(parseCheckpointDocument({ ...doc(), id: 7 })).toEqual(doc());
    let error: unknown;
    try {
      parseCheckpointDocument({ position: -1, hash: 'xyz', algorithm: 'MD5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'position' }),
        expect.objectContaining({ path: 'hash' }),
        expect.objectContaining({ path: 'eventCount' }),
        expect.objectContaining({ path: 'createdAt' }),
        expect.objectContaining({ path: 'signature' }),
        expect.objectContaining({ path: 'algorithm' }),
      ]),
    );
  });

  it('without DONDOC_AUDIT_KEY the key is generated once into the data folder, mode 0600', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-key-'));
    try {
      const first = loadAuditKey({ auditKey: null, dataDir });
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(loadAuditKey({ auditKey: null, dataDir })).toBe(first);
      expect(fs.statSync(path.join(dataDir, 'audit-key')).mode & 0o777).toBe(0o600);
      expect(loadAuditKey({ auditKey: KEY, dataDir })).toBe(KEY);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
