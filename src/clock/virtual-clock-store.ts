/**
 * Keeps the virtual clock's time in the `settings` table, so that a restarted process (after a
 * crash, a deploy, a replica replacement) continues from the time an administrator set instead of
 * jumping back to the real time, which would make every timer of the simulated year come due at
 * once. Only with DONDOC_CLOCK=virtual; a clock a test or a simulation injects is theirs to set.
 * The stored time does not advance while no process runs: a virtual clock stands still.
 */
import type { OnModuleInit, Provider } from '@nestjs/common';
import type { Clock } from '../core/clock.js';
import { Database, intValue } from '../database/database.js';
import { CLOCK, VirtualClock } from './clocks.js';

/** The `settings` key holding the virtual time, in epoch milliseconds. */
export const VIRTUAL_CLOCK_KEY = 'clock.virtual.now';

export class VirtualClockStore implements OnModuleInit {
  /** `restore`: whether this process's clock is the configured virtual clock (not injected). */
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly restore: boolean,
  ) {}

  /** At start: the configured virtual clock resumes from the stored time, when there is one. */
  async onModuleInit(): Promise<void> {
    if (!this.restore || !(this.clock instanceof VirtualClock)) return;
    const rows = await this.db.read((sql) =>
      sql.query<{ value: string }>('SELECT value FROM settings WHERE key = ?', [VIRTUAL_CLOCK_KEY]),
    );
    const stored = rows[0] ? intValue(rows[0].value) : NaN;
    if (Number.isFinite(stored)) this.clock.set(new Date(stored));
  }

  /**
   * Sets the virtual clock: the time is committed first, then the clock moves, so a process that
   * dies in between restarts at the time it was asked to set (setting it again is harmless).
   */
  async set(clock: VirtualClock, to: Date): Promise<void> {
    const ms = to.getTime();
    await this.db.write((tx) =>
      tx.execute(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [VIRTUAL_CLOCK_KEY, String(ms), ms],
      ),
    );
    clock.set(to);
  }
}

/** The store; `restore` is true when DONDOC_CLOCK=virtual made the clock (none was injected). */
export function virtualClockStoreProvider(restore: boolean): Provider {
  return {
    provide: VirtualClockStore,
    inject: [Database, CLOCK],
    useFactory: (db: Database, clock: Clock) => new VirtualClockStore(db, clock, restore),
  };
}
