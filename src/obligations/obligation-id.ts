/**
 * Obligation ids: UUID version 7 (RFC 9562, the `uuid` package). The first 48 bits are the
 * creation millisecond and the next bits a counter, so the ids a process creates increase: a
 * cycle's obligations, opened together, sit side by side in every index keyed by obligation id
 * (events, timers), and commands on them touch a few index pages instead of one random page
 * each (`npm run bench`: half the pages written per commit). The time in an id is the process's
 * wall clock at creation and only orders ids; nothing reads it back as a time (the obligation's
 * own times come from the injected clock). Ids stay opaque strings: older random (version 4) ids
 * remain valid.
 */
import { v7 } from 'uuid';

export function newObligationId(): string {
  return v7();
}
