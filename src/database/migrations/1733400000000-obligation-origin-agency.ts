import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Obligations can move to another agency (TRANSFER): `agency_code` is the agency that owes the
 * obligation now, and the new `origin_agency_code` the agency it was opened for, which never
 * changes. A cycle has one obligation per origin agency: uniqueness moves from
 * (plan_id, year, agency_code) to (plan_id, year, origin_agency_code), so two agencies merging
 * into one (both transferred to it) no longer collide. `agency_code` keeps an index for lookups.
 *
 * SQLite cannot drop a table constraint: the table is rebuilt (TypeORM runs migrations with
 * foreign keys off on better-sqlite3; the rows, ids and the references to them are unchanged).
 */
export class ObligationOriginAgency1733400000000 implements MigrationInterface {
  name = 'ObligationOriginAgency1733400000000';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.driver.options.type === 'postgres') {
      await q.query(`ALTER TABLE obligations ADD COLUMN origin_agency_code varchar(64)`);
      await q.query(`UPDATE obligations SET origin_agency_code = agency_code`);
      await q.query(`ALTER TABLE obligations ALTER COLUMN origin_agency_code SET NOT NULL`);
      await q.query(`ALTER TABLE obligations DROP CONSTRAINT uq_obligation_plan_year_agency`);
      await q.query(`ALTER TABLE obligations ADD CONSTRAINT uq_obligation_plan_year_origin
        UNIQUE (plan_id, year, origin_agency_code)`);
    } else {
      await q.query(`CREATE TABLE obligations_rebuilt (
        id varchar(36) PRIMARY KEY,
        plan_id varchar(100) NOT NULL,
        year integer NOT NULL,
        agency_code varchar(64) NOT NULL,
        origin_agency_code varchar(64) NOT NULL,
        kind varchar(16) NOT NULL,
        stage varchar(32) NOT NULL,
        snapshot text NOT NULL,
        version integer NOT NULL,
        machine_version varchar(64) NOT NULL,
        due_at bigint NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        CONSTRAINT uq_obligation_plan_year_origin UNIQUE (plan_id, year, origin_agency_code)
      )`);
      await q.query(`INSERT INTO obligations_rebuilt
        (id, plan_id, year, agency_code, origin_agency_code, kind, stage, snapshot, version,
         machine_version, due_at, created_at, updated_at)
        SELECT id, plan_id, year, agency_code, agency_code, kind, stage, snapshot, version,
         machine_version, due_at, created_at, updated_at FROM obligations`);
      await q.query(`DROP TABLE obligations`);
      await q.query(`ALTER TABLE obligations_rebuilt RENAME TO obligations`);
      await q.query(
        `CREATE INDEX ix_obligations_cycle_stage ON obligations (plan_id, year, stage)`,
      );
    }
    await q.query(
      `CREATE INDEX ix_obligations_cycle_agency ON obligations (plan_id, year, agency_code, origin_agency_code)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_obligations_cycle_agency`);
    if (q.connection.driver.options.type === 'postgres') {
      await q.query(`ALTER TABLE obligations DROP CONSTRAINT uq_obligation_plan_year_origin`);
      await q.query(`ALTER TABLE obligations ADD CONSTRAINT uq_obligation_plan_year_agency
        UNIQUE (plan_id, year, agency_code)`);
      await q.query(`ALTER TABLE obligations DROP COLUMN origin_agency_code`);
    } else {
      await q.query(`CREATE TABLE obligations_rebuilt (
        id varchar(36) PRIMARY KEY,
        plan_id varchar(100) NOT NULL,
        year integer NOT NULL,
        agency_code varchar(64) NOT NULL,
        kind varchar(16) NOT NULL,
        stage varchar(32) NOT NULL,
        snapshot text NOT NULL,
        version integer NOT NULL,
        machine_version varchar(64) NOT NULL,
        due_at bigint NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        CONSTRAINT uq_obligation_plan_year_agency UNIQUE (plan_id, year, agency_code)
      )`);
      await q.query(`INSERT INTO obligations_rebuilt
        (id, plan_id, year, agency_code, kind, stage, snapshot, version, machine_version, due_at,
         created_at, updated_at)
        SELECT id, plan_id, year, agency_code, kind, stage, snapshot, version, machine_version,
         due_at, created_at, updated_at FROM obligations`);
      await q.query(`DROP TABLE obligations`);
      await q.query(`ALTER TABLE obligations_rebuilt RENAME TO obligations`);
      await q.query(
        `CREATE INDEX ix_obligations_cycle_stage ON obligations (plan_id, year, stage)`,
      );
    }
  }
}
