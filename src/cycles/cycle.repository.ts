/** SQL for the `cycles` rows the statistics and the report to UBND read and write. */
import { intValue, type Sql } from '../database/database.js';

/** The consolidated report recorded on a cycle (báo cáo tổng hợp gửi UBND tỉnh). */
export interface ConsolidatedReportRecord {
  ref: string;
  /** Epoch ms. */
  reportedAt: number;
  reportedBy: string;
}

export interface CycleRecord {
  planId: string;
  year: number;
  dueAt: number;
  openedAt: number;
  openedBy: string;
  consolidatedReport: ConsolidatedReportRecord | null;
}

const COLUMNS =
  'plan_id, year, due_at, opened_at, opened_by, consolidated_report_ref, reported_to_ubnd_at, reported_to_ubnd_by';

function toCycle(row: Record<string, unknown>): CycleRecord {
  return {
    planId: String(row.plan_id),
    year: intValue(row.year),
    dueAt: intValue(row.due_at),
    openedAt: intValue(row.opened_at),
    openedBy: String(row.opened_by),
    consolidatedReport:
      row.consolidated_report_ref == null
        ? null
        : {
            ref: String(row.consolidated_report_ref),
            reportedAt: intValue(row.reported_to_ubnd_at),
            reportedBy: String(row.reported_to_ubnd_by),
          },
  };
}

export const CycleRepository = {
  /** One cycle; inside a PostgreSQL write `lock` also locks its row until commit. */
  async find(sql: Sql, planId: string, year: number, lock = false): Promise<CycleRecord | null> {
    const forUpdate = lock && sql.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await sql.query(
      `SELECT ${COLUMNS} FROM cycles WHERE plan_id = ? AND year = ?${forUpdate}`,
      [planId, year],
    );
    return rows[0] ? toCycle(rows[0]) : null;
  },

  /** Records the consolidated report once; false when one is already recorded. */
  async recordConsolidatedReport(
    sql: Sql,
    planId: string,
    year: number,
    report: ConsolidatedReportRecord,
  ): Promise<boolean> {
    const changed = await sql.execute(
      `UPDATE cycles SET consolidated_report_ref = ?, reported_to_ubnd_at = ?, reported_to_ubnd_by = ?
       WHERE plan_id = ? AND year = ? AND consolidated_report_ref IS NULL`,
      [report.ref, report.reportedAt, report.reportedBy, planId, year],
    );
    return changed === 1;
  },
};
