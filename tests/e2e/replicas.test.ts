/**
 * Three server processes on one PostgreSQL database, started at once, with the client spreading
 * its requests over them: commands race with compare-and-set (exactly one of two commands
 * carrying the same expectedVersion wins, on whichever replicas they land), every timer fires
 * exactly once although all three sweep, the audit chains verify, and each replica shuts down
 * cleanly. PostgreSQL only: skipped, with a message, without TEST_DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { api, loginOn, startServer, type ServerProcess } from '../support/server-process.js';

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) {
  process.stderr.write(
    'Replica tests skipped: they need PostgreSQL; set TEST_DATABASE_URL=postgres://… to run them.\n',
  );
}
const describePg = pgUrl ? describe : describe.skip;

interface Obligation {
  id: string;
  agencyCode: string;
  kind: 'directed' | 'requested';
  version: number;
  stage: string;
}

const STEPS = [
  { type: 'START_IMPLEMENTATION', payload: { planRef: 'KH/2025' }, by: 'officer' },
  { type: 'SUBMIT_REPORT', payload: { reportRef: 'BC/2025' }, by: 'officer' },
  { type: 'AGGREGATE', payload: {}, by: 'aggregator' },
  { type: 'REPORT_TO_UBND', payload: { consolidatedReportRef: 'BC-TH/2025' }, by: 'aggregator' },
] as const;

const STAGE_AFTER = ['implementing', 'report_submitted', 'aggregated', 'reported_to_ubnd'];

/** Obligations taken through their whole lifecycle in June (the rest stay open). */
const COMPLETED = 12;
const PASSWORD = 'mat-khau-thu-nghiem';

describePg(
  `three replicas on one PostgreSQL database${pgUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`,
  () => {
    let db: TestDatabase;
    let replicas: ServerProcess[] = [];
    let admin: string;
    /** Round-robin over the replicas, as a load balancer would. */
    let turn = 0;
    const next = () => replicas[turn++ % replicas.length]!;

    beforeAll(async () => {
      db = await freshDatabase('postgres');
      // All three start together on the empty database: one migrates, the others wait for it.
      replicas = await Promise.all([startServer(db), startServer(db), startServer(db)]);
      admin = await loginOn(replicas[0]!);
    }, 120_000);

    afterAll(async () => {
      for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await db?.drop();
    });

    const setClockEverywhere = async (now: string) => {
      for (const r of replicas) {
        expect((await api(r, admin, 'POST', '/api/admin/clock', { now })).status).toBe(200);
      }
    };

    it('commands interleave safely, timers fire once, the chains verify, and each replica stops cleanly', async () => {
      await setClockEverywhere('2025-06-01T03:00:00Z');
      const opened = await api<{ obligations: Obligation[] }>(
        next(),
        admin,
        'POST',
        '/api/plans/thanh-hoa-nq46/cycles',
        { year: 2025 },
      );
      expect(opened.status).toBe(201);
      const obligations = opened.body.obligations;
      expect(obligations).toHaveLength(53); // the 2025 roster
      const chosen = obligations.slice(0, COMPLETED);

      // Users, created and logged in through different replicas; a token works on every one.
      const create = (body: object) => api(next(), admin, 'POST', '/api/users', body);
      expect(
        (await create({ username: 'tonghop', password: PASSWORD, role: 'aggregator' })).status,
      ).toBe(201);
      const officerName = (o: Obligation) => `canbo.${o.agencyCode.toLowerCase()}`;
      for (const o of chosen) {
        const res = await create({
          username: officerName(o),
          password: PASSWORD,
          role: 'officer',
          agencyCode: o.agencyCode,
        });
        expect(res.status).toBe(201);
      }
      const aggregator = await loginOn(next(), 'tonghop', PASSWORD);
      const officers = new Map<string, string>();
      for (const o of chosen) officers.set(o.id, await loginOn(next(), officerName(o), PASSWORD));

      // Each step, for all chosen obligations at once: read the version on one replica, then send
      // the same command with that expectedVersion to two others at the same time.
      let conflicts = 0;
      for (const [s, step] of STEPS.entries()) {
        await Promise.all(
          chosen.map(async (o, i) => {
            const token = step.by === 'officer' ? officers.get(o.id)! : aggregator;
            const read = await api<Obligation>(
              replicas[i % 3]!,
              token,
              'GET',
              `/api/obligations/${o.id}`,
            );
            expect(read.body.version).toBe(1 + s);
            const send = (r: ServerProcess) =>
              api<{ code?: string; currentVersion?: number; version?: number }>(
                r,
                token,
                'POST',
                `/api/obligations/${o.id}/events`,
                { type: step.type, payload: step.payload, expectedVersion: read.body.version },
              );
            const answers = await Promise.all([
              send(replicas[(i + 1) % 3]!),
              send(replicas[(i + 2) % 3]!),
            ]);
            const statuses = answers.map((a) => a.status).sort();
            expect(statuses).toEqual([200, 409]);
            const lost = answers.find((a) => a.status === 409)!;
            expect(lost.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 2 + s });
            conflicts += 1;
            // The loser retries as a client would: it re-reads, finds the step it wanted done
            // (its stage and version moved on), and stops there.
            const again = await api<Obligation>(next(), token, 'GET', `/api/obligations/${o.id}`);
            expect(again.body).toMatchObject({ version: 2 + s, stage: STAGE_AFTER[s] });
          }),
        );
      }
      expect(conflicts).toBe(COMPLETED * STEPS.length);

      // Past every step of the ladder; all three replicas sweep at the same time (their minute
      // jobs may sweep too): each due (obligation, kind, level) fires once.
      await setClockEverywhere('2025-12-31T17:00:00Z');
      const sweeps = await Promise.all(
        replicas.map((r) =>
          api<{ fired: Array<{ obligationId: string; type: string; level: number }> }>(
            r,
            admin,
            'POST',
            '/api/admin/sweep',
          ),
        ),
      );
      expect(sweeps.map((s) => s.status)).toEqual([200, 200, 200]);
      const open = obligations.slice(COMPLETED);
      // 3 reminders and the deadline pass each; directed obligations also 2 escalation levels.
      const expected = open.reduce((n, o) => n + 4 + (o.kind === 'directed' ? 2 : 0), 0);
      const firedKeys = sweeps.flatMap((s) =>
        s.body.fired.map((f) => `${f.obligationId}:${f.type}:${f.level}`),
      );
      expect(new Set(firedKeys).size).toBe(firedKeys.length);
      const escalations = await api<Array<{ obligationId: string; kind: string; level: number }>>(
        next(),
        admin,
        'GET',
        '/api/escalations?planId=thanh-hoa-nq46&year=2025',
      );
      const rows = escalations.body.map((e) => `${e.obligationId}:${e.kind}:${e.level}`);
      expect(new Set(rows).size).toBe(rows.length);
      expect(rows).toHaveLength(expected);
      expect(firedKeys.every((k) => rows.includes(k))).toBe(true);
      // None fired for the obligations reported in June.
      const completedIds = new Set(chosen.map((o) => o.id));
      expect(escalations.body.filter((e) => completedIds.has(e.obligationId))).toEqual([]);

      // Every process counted what it fired; together, each timer once.
      let firedByMetrics = 0;
      for (const r of replicas) {
        const text = await (await fetch(`${r.url}/metrics`)).text();
        for (const line of text.split('\n')) {
          if (line.startsWith('dondoc_timers_fired_total{'))
            firedByMetrics += Number(line.split(' ')[1]);
        }
      }
      expect(firedByMetrics).toBe(expected);

      const verify = await api<{ ok: boolean; events: number; problems: unknown[] }>(
        next(),
        admin,
        'GET',
        '/api/audit/verify',
      );
      expect(verify.body).toMatchObject({
        ok: true,
        problems: [],
        events: 53 + COMPLETED * STEPS.length + expected,
      });

      expect(await Promise.all(replicas.map((r) => r.stop()))).toEqual([0, 0, 0]);
    }, 180_000);
  },
);
