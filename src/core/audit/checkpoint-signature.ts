/**
 * How an audit checkpoint is signed: HMAC-SHA256 (hex) over the canonical JSON of its four facts
 * (ledger position, ledger hash, event count, creation time). Pure; shared by the server and by
 * the offline replay of an export, so the two can never disagree.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './event-hash.js';

export const CHECKPOINT_ALGORITHM = 'HMAC-SHA256';

/** The signed facts of a checkpoint. */
export interface CheckpointFacts {
  position: number;
  hash: string;
  eventCount: number;
  createdAt: string;
}

export function signCheckpoint(key: string, facts: CheckpointFacts): string {
  const { position, hash, eventCount, createdAt } = facts;
  return createHmac('sha256', key)
    .update(canonicalJson({ position, hash, eventCount, createdAt }), 'utf8')
    .digest('hex');
}

/** Whether `signature` is right for these facts and key (constant-time compare). */
export function signatureMatches(key: string, facts: CheckpointFacts, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(
    Buffer.from(signCheckpoint(key, facts), 'hex'),
    Buffer.from(signature, 'hex'),
  );
}
