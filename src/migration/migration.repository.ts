/** SQL of machine-version migrations. Every value is a bound parameter. */
import { FINAL_STAGES } from '../core/machine/obligation-events.js';
import type { Sql } from '../database/database.js';

export interface CandidateFilter {
  /** The machine id (`annual-report`): only obligations on another version of it are candidates. */
  machineId: string;
  /** The target version (`annual-report@2`), which candidates are not on yet. */
  to: string;
  planId?: string;
  year?: number;
}

export const MigrationRepository = {
  /**
   * Ids of the open obligations (not in a final stage) on another version of the same machine,
   * ordered by plan, year and agency.
   */
  async candidateIds(sql: Sql, f: CandidateFilter): Promise<string[]> {
    const params: unknown[] = [f.to, ...FINAL_STAGES];
    let clause = `machine_version <> ? AND stage NOT IN (${FINAL_STAGES.map(() => '?').join(', ')})`;
    if (f.planId !== undefined) {
      clause += ' AND plan_id = ?';
      params.push(f.planId);
    }
    if (f.year !== undefined) {
      clause += ' AND year = ?';
      params.push(f.year);
    }
    const rows = await sql.query<{ id: string; machine_version: string }>(
      `SELECT id, machine_version FROM obligations WHERE ${clause}
       ORDER BY plan_id, year, agency_code, origin_agency_code`,
      params,
    );
    const prefix = `${f.machineId}@`;
    return rows
      .filter((r) => String(r.machine_version).startsWith(prefix))
      .map((r) => String(r.id));
  },

  /**
   * Compare-and-set: moves the obligation to machine version `to` and bumps its version, leaving
   * its stage and snapshot as they are. False when its version is no longer `expectedVersion`.
   */
  async setMachineVersion(
    sql: Sql,
    o: { id: string; to: string; version: number; updatedAt: number },
    expectedVersion: number,
  ): Promise<boolean> {
    const changed = await sql.execute(
      `UPDATE obligations SET machine_version = ?, version = ?, updated_at = ?
       WHERE id = ? AND version = ?`,
      [o.to, o.version, o.updatedAt, o.id, expectedVersion],
    );
    return changed === 1;
  },
};
