/** Reads of fired timers: `GET /api/escalations`. Officers see their own agency's only. */
import { Injectable } from '@nestjs/common';
import type { Caller } from '../core/access/caller.js';
import { Database, intValue, jsonValue } from '../database/database.js';

export interface FiredEscalation {
  obligationId: string;
  planId: string;
  year: number;
  agencyCode: string;
  kind: string;
  level: number;
  dueAt: string;
  firedAt: string;
  recipients: string[];
}

@Injectable()
export class EscalationQueryService {
  constructor(private readonly db: Database) {}

  async list(
    filter: { planId?: string; year?: number },
    caller: Caller,
  ): Promise<FiredEscalation[]> {
    const where = ['t.fired_at IS NOT NULL'];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      params.push(value);
    };
    if (filter.planId !== undefined) add('o.plan_id = ?', filter.planId);
    if (filter.year !== undefined) add('o.year = ?', filter.year);
    if (caller.role === 'officer') add('o.agency_code = ?', caller.agencyCode ?? '');
    const rows = await this.db.read((sql) =>
      sql.query(
        `SELECT t.obligation_id, o.plan_id, o.year, o.agency_code, t.kind, t.level, t.due_at, t.fired_at, t.recipients
         FROM timers t JOIN obligations o ON o.id = t.obligation_id
         WHERE ${where.join(' AND ')} ORDER BY t.fired_at, t.id`,
        params,
      ),
    );
    return rows.map((r) => ({
      obligationId: String(r.obligation_id),
      planId: String(r.plan_id),
      year: intValue(r.year),
      agencyCode: String(r.agency_code),
      kind: String(r.kind),
      level: intValue(r.level),
      dueAt: new Date(intValue(r.due_at)).toISOString(),
      firedAt: new Date(intValue(r.fired_at)).toISOString(),
      recipients: r.recipients == null ? [] : jsonValue<string[]>(r.recipients),
    }));
  }
}
