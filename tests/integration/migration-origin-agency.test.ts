/**
 * The migration that moves obligation uniqueness from the agency to the origin agency, on a
 * database created before it (both dialects): rows, references and constraints after it.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { numberPlaceholders } from '../../src/database/database.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { describeEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.js';

const BEFORE = MIGRATIONS.findIndex((m) => m.name === 'ObligationOriginAgency1733400000000');

describeEachDatabase('migration ObligationOriginAgency', (dialect) => {
  let db: TestDatabase;
  let ds: DataSource;
  const q = (sql: string, params: unknown[] = []) =>
    ds.query(dialect === 'postgres' ? numberPlaceholders(sql) : sql, params);

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const config = { dataDir: db.dataDir, databaseUrl: db.databaseUrl };
    // The schema as it was before the migration, with one obligation and its event.
    const old = new DataSource({
      ...dataSourceOptions(config),
      migrations: MIGRATIONS.slice(0, BEFORE),
    });
    await old.initialize();
    await old.runMigrations({ transaction: 'all' });
    const ph = (n: number) => (dialect === 'postgres' ? `$${n}` : '?');
    await old.query(
      `INSERT INTO obligations (id, plan_id, year, agency_code, kind, stage, snapshot, version,
        machine_version, due_at, created_at, updated_at)
       VALUES (${[...Array(12).keys()].map((i) => ph(i + 1)).join(', ')})`,
      [
        'o-1',
        'thanh-hoa-nq46',
        2025,
        'SO_NNPTNT',
        'directed',
        'plan_drafted',
        '{"value":"plan_drafted","context":{}}',
        1,
        'annual-report@1',
        1,
        1,
        1,
      ],
    );
    await old.query(
      `INSERT INTO obligation_events (obligation_id, seq, type, payload, actor, reason,
        effective_at, recorded_at, stage_after, machine_version)
       VALUES (${[...Array(10).keys()].map((i) => ph(i + 1)).join(', ')})`,
      ['o-1', 1, 'OBLIGATION_OPENED', '{}', 'admin', null, 1, 1, 'plan_drafted', 'annual-report@1'],
    );
    await old.destroy();
    ds = new DataSource(dataSourceOptions(config));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'all' });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps the rows; the origin agency is the agency the obligation was opened for', async () => {
    expect(await q(`SELECT id, agency_code, origin_agency_code FROM obligations`)).toEqual([
      { id: 'o-1', agency_code: 'SO_NNPTNT', origin_agency_code: 'SO_NNPTNT' },
    ]);
    const [events] = await q(
      `SELECT COUNT(*) AS n FROM obligation_events WHERE obligation_id = ?`,
      ['o-1'],
    );
    expect(Number((events as { n: unknown }).n)).toBe(1);
  });

  it('two obligations of a cycle may share an agency, never an origin agency', async () => {
    const insert = (id: string, agency: string, origin: string) =>
      q(
        `INSERT INTO obligations (id, plan_id, year, agency_code, origin_agency_code, kind, stage,
          snapshot, version, machine_version, due_at, created_at, updated_at)
         VALUES (?, 'thanh-hoa-nq46', 2025, ?, ?, 'directed', 'plan_drafted', '{}', 1, 'annual-report@1', 1, 1, 1)`,
        [id, agency, origin],
      );
    await insert('o-2', 'SO_NNMT', 'SO_TNMT');
    await q(`UPDATE obligations SET agency_code = 'SO_NNMT' WHERE id = 'o-1'`);
    await expect(insert('o-3', 'SO_YTE', 'SO_TNMT')).rejects.toThrow(/unique/i);
    const rows = await q(`SELECT id FROM obligations WHERE agency_code = 'SO_NNMT' ORDER BY id`);
    expect(rows).toEqual([{ id: 'o-1' }, { id: 'o-2' }]);
  });

  it('events still reference existing obligations only', async () => {
    await expect(
      q(
        `INSERT INTO obligation_events (obligation_id, seq, type, payload, actor, reason,
          effective_at, recorded_at, stage_after, machine_version)
         VALUES ('no-such', 1, 'OBLIGATION_OPENED', '{}', 'admin', NULL, 1, 1, 'plan_drafted', 'annual-report@1')`,
      ),
    ).rejects.toThrow(/foreign key/i);
  });
});
