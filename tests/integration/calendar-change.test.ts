import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { TimerRepository } from '../../src/timers/timer.repository.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext } from '../support/test-app.js';

/** A copy of workflows/calendar with one more announced day off: Thursday 20/11/2025. */
function editedCalendarDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-calendar-'));
  for (const f of fs.readdirSync('workflows/calendar'))
    fs.copyFileSync(path.join('workflows/calendar', f), path.join(dir, f));
  const file = path.join(dir, '2025.yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as {
    daysOff: Array<{ date: string; name: string }>;
  };
  doc.daysOff.push({ date: '2025-11-20', name: 'Nghỉ bù (thử nghiệm)' });
  fs.writeFileSync(file, YAML.stringify(doc));
  return dir;
}

describeEachDatabase('an administrator edits the calendar', (dialect) => {
  let dataDir: string;
  let databaseUrl: string | null;
  let drop: () => Promise<void>;
  let id: string;

  beforeAll(async () => {
    const h = await createTestContext(dialect);
    ({ dataDir, databaseUrl } = h.db);
    drop = () => h.db.drop();
    const opened = await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
    id = opened.obligations.find((o) => o.agencyCode === 'SO_CONGTHUONG')!.id;
    await h.app.get(SweepService).sweep(Date.parse('2025-10-15T17:00:00.000Z')); // REMIND 1 fires
    await h.app.close();
  });
  afterAll(async () => drop?.());

  it('on the next start, pending working-day steps move; fired ones and calendar-day ones stay', async () => {
    const h = await createTestContext(dialect, {
      dataDir,
      databaseUrl,
      calendarDir: editedCalendarDir(),
    });
    try {
      const timers = await h.app
        .get(Database)
        .read((sql) => TimerRepository.forObligation(sql, id));
      const at = (kind: string, level: number) =>
        new Date(timers.find((t) => t.kind === kind && t.level === level)!.dueAt).toISOString();
      expect(timers.find((t) => t.kind === 'REMIND' && t.level === 1)?.firedAt).not.toBeNull();
      expect(at('REMIND', 2)).toBe('2025-11-07T17:00:00.000Z'); // calendar days: unchanged
      expect(at('DEADLINE_PASSED', 1)).toBe('2025-11-14T17:00:00.000Z');
      // 5 working days after 14/11 were 17–21/11; with 20/11 off they are 17, 18, 19, 21, 24/11.
      expect(at('ESCALATE', 2)).toBe('2025-11-24T17:00:00.000Z');
      expect(at('ESCALATE', 3)).toBe('2025-12-01T17:00:00.000Z');
    } finally {
      await h.app.close();
    }
  });

  it('a start with an unchanged calendar moves nothing', async () => {
    const dir = editedCalendarDir();
    const first = await createTestContext(dialect, { dataDir, databaseUrl, calendarDir: dir });
    const before = await first.app
      .get(Database)
      .read((sql) => TimerRepository.forObligation(sql, id));
    await first.app.close();
    const again = await createTestContext(dialect, { dataDir, databaseUrl, calendarDir: dir });
    try {
      expect(
        await again.app.get(Database).read((sql) => TimerRepository.forObligation(sql, id)),
      ).toEqual(before);
    } finally {
      await again.app.close();
    }
  });
});
