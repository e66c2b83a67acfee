import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users: role, agency (officers), scrypt password hash, and whether the account is disabled. */
export class Users1732900000000 implements MigrationInterface {
  name = 'Users1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE users (
      username varchar(64) PRIMARY KEY,
      password_hash varchar(255) NOT NULL,
      role varchar(16) NOT NULL,
      agency_code varchar(64),
      disabled integer NOT NULL DEFAULT 0,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE users');
  }
}
