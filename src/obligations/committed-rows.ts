/**
 * The obligations the command path has committed, each as it is at its version, so that the next
 * command on one need not read the row, its snapshot JSON and its newest event again: its
 * compare-and-set UPDATE (`WHERE version = ?`) confirms the row is still the one remembered.
 * Safe with other writers (replicas, the CLI): every change to an obligation row bumps its
 * version, events are append-only, and an entry is added only after its transaction committed,
 * so a row at a given version is the row remembered for that version. Bounded: the oldest
 * entries go first. One per application: the command path remembers what it commits, and the
 * cycle opening the rows it creates.
 */
import { Injectable } from '@nestjs/common';
import type { ObligationRecord } from './obligation.repository.js';

/** What a command reads before it transitions: the obligation and its newest event. */
export interface CommandRow {
  obligation: ObligationRecord;
  last: { effectiveAt: number; hash: string } | null;
}

@Injectable()
export class CommittedRows {
  private readonly rows = new Map<string, CommandRow>();

  /** How many obligations are remembered at most. */
  readonly capacity = 20_000;

  /** The remembered row of an obligation, whatever its version (check it before use). */
  get(id: string): CommandRow | undefined {
    return this.rows.get(id);
  }

  /**
   * Remembers a committed row. The caller must not mutate it afterwards (commands build new
   * records and snapshots). An older version never replaces a newer one.
   */
  remember(row: CommandRow): void {
    const id = row.obligation.id;
    const known = this.rows.get(id);
    if (known && known.obligation.version >= row.obligation.version) return;
    this.rows.delete(id);
    this.rows.set(id, row);
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  forget(id: string): void {
    this.rows.delete(id);
  }

  get size(): number {
    return this.rows.size;
  }
}
