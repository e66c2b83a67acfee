/**
 * Moves open obligations to another version of their lifecycle machine.
 *
 * `plan` judges every open obligation on another version of the same machine (see
 * migration-verdict.ts) and changes nothing. `migrate` moves the `unchanged` ones, each in its own
 * transaction: a MIGRATED { from, to } event (through ObligationRepository.appendEvent, so the
 * obligation's hash chain and the ledger stay whole), machine_version = to, version + 1; stage,
 * snapshot, deadline and timers stay as they are. Obligations that would change stage or are
 * invalid under the target are never migrated: they are reported.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import { isAdmin, type Caller } from '../core/access/caller.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import { getMachine } from '../core/machine/machine-registry.js';
import { FINAL_STAGES, type Stage } from '../core/machine/obligation-events.js';
import { Database, type Sql } from '../database/database.js';
import { toHistoryEntry } from '../obligations/obligation-query.service.js';
import {
  ObligationRepository,
  type ObligationRecord,
} from '../obligations/obligation.repository.js';
import { MigrationRepository } from './migration.repository.js';
import {
  isKnownMachineRef,
  judgeMigration,
  knownMachineRefs,
  type MigrationVerdict,
  type Verdict,
} from './migration-verdict.js';

export interface MigrationOptions {
  /** The target machine version, e.g. `annual-report@2`. */
  to: string;
  planId?: string;
  year?: number;
}

export interface MigrationItem {
  obligationId: string;
  planId: string;
  year: number;
  agencyCode: string;
  stage: Stage;
  /** The machine version the obligation was on when judged. */
  machineVersion: string;
  verdict: Verdict;
  /** The stage its events end in under the target (changes-stage: differs from `stage`). */
  stageAfter: Stage | null;
  reason: string | null;
  /** The first event the target does not accept (invalid only). */
  failedSeq: number | null;
  /** Whether this run moved it to the target (always false for a plan). */
  migrated: boolean;
}

export interface MigrationReport {
  to: string;
  dryRun: boolean;
  items: MigrationItem[];
  totals: {
    candidates: number;
    unchanged: number;
    changesStage: number;
    invalid: number;
    migrated: number;
  };
}

/** The event type that records a machine-version migration (replay switches version on it). */
export const MIGRATED = 'MIGRATED';

@Injectable()
export class MigrationService {
  private readonly logger = new Logger(MigrationService.name);

  constructor(
    private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What a migration to `to` would do; changes nothing. */
  async plan(options: MigrationOptions): Promise<MigrationReport> {
    const machineId = this.target(options.to);
    const ids = await this.db.read((sql) =>
      MigrationRepository.candidateIds(sql, { ...options, machineId }),
    );
    const items: MigrationItem[] = [];
    for (const id of ids) {
      const item = await this.db.read(async (sql) => {
        const o = await ObligationRepository.find(sql, id);
        return o ? this.judge(sql, o, options.to) : null;
      });
      if (item) items.push(item);
    }
    return report(options.to, true, items);
  }

  /**
   * Migrates every `unchanged` candidate, one transaction each (judged again inside it, on the
   * locked row); needs role admin. The others are reported and left as they are.
   */
  async migrate(options: MigrationOptions, caller: Caller): Promise<MigrationReport> {
    if (!isAdmin(caller)) {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `Forbidden: migrating obligations needs role admin, not ${caller.role}`,
      );
    }
    const machineId = this.target(options.to);
    const ids = await this.db.read((sql) =>
      MigrationRepository.candidateIds(sql, { ...options, machineId }),
    );
    const items: MigrationItem[] = [];
    for (const id of ids) {
      const item = await this.db.write((tx) => this.migrateOne(tx, id, options.to, caller));
      if (item) items.push(item);
    }
    const result = report(options.to, false, items);
    if (result.totals.migrated > 0) {
      this.logger.log(`Migrated ${result.totals.migrated} obligation(s) to ${options.to}`);
    }
    return result;
  }

  /** Validates the target version; returns its machine id. */
  private target(to: string): string {
    if (!isKnownMachineRef(to)) {
      throw new ValidationError(`Unknown machine version "${to}"`, [
        { path: 'to', message: `must be one of ${knownMachineRefs().join(', ')}` },
      ]);
    }
    return getMachine(to).id;
  }

  private async judge(sql: Sql, o: ObligationRecord, to: string): Promise<MigrationItem> {
    const events = (await ObligationRepository.history(sql, o.id)).map(toHistoryEntry);
    return item(o, judgeMigration({ events, snapshot: o.snapshot, to }));
  }

  private async migrateOne(
    tx: Sql,
    id: string,
    to: string,
    caller: Caller,
  ): Promise<MigrationItem | null> {
    const o = await ObligationRepository.find(tx, id, true);
    // Closed or migrated since the candidates were listed: no longer a candidate.
    if (!o || FINAL_STAGES.includes(o.stage) || o.machineVersion === to) return null;
    const judged = await this.judge(tx, o, to);
    if (judged.verdict !== 'unchanged') return judged;
    const last = await ObligationRepository.lastEvent(tx, o.id);
    if (!last) return judged; // judged invalid already (no events); not reached
    const now = this.clock.now().getTime();
    const version = o.version + 1;
    if (
      !(await MigrationRepository.setMachineVersion(
        tx,
        { id: o.id, to, version, updatedAt: now },
        o.version,
      ))
    ) {
      throw new DomainError(ErrorCode.VERSION_CONFLICT, 'Obligation changed concurrently', {
        obligationId: o.id,
      });
    }
    await ObligationRepository.appendEvent(
      tx,
      {
        obligationId: o.id,
        seq: version,
        type: MIGRATED,
        payload: { from: o.machineVersion, to },
        actor: caller.name,
        reason: null,
        // Effective now, and never before the obligation's last event.
        effectiveAt: Math.max(now, last.effectiveAt),
        recordedAt: now,
        stageAfter: o.stage,
        machineVersion: to,
      },
      last.hash,
    );
    return { ...judged, migrated: true };
  }
}

function item(o: ObligationRecord, v: MigrationVerdict): MigrationItem {
  return {
    obligationId: o.id,
    planId: o.planId,
    year: o.year,
    agencyCode: o.agencyCode,
    stage: o.stage,
    machineVersion: o.machineVersion,
    verdict: v.verdict,
    stageAfter: v.stageAfter,
    reason: v.reason,
    failedSeq: v.failedSeq,
    migrated: false,
  };
}

function report(to: string, dryRun: boolean, items: MigrationItem[]): MigrationReport {
  const count = (verdict: Verdict) => items.filter((i) => i.verdict === verdict).length;
  return {
    to,
    dryRun,
    items,
    totals: {
      candidates: items.length,
      unchanged: count('unchanged'),
      changesStage: count('changes-stage'),
      invalid: count('invalid'),
      migrated: items.filter((i) => i.migrated).length,
    },
  };
}
