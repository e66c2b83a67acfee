/**
 * Crash under load: the built server runs as a child process while several clients send
 * commands with idempotency keys and a driver moves the virtual clock across the escalation
 * ladder; the process is killed with SIGKILL at random (seeded) moments and restarted, again and
 * again. Clients re-send every command that got no answer with the same key. Afterwards:
 * - every acknowledged command is in its history exactly once, as the version it was answered;
 * - nothing is half-applied: versions equal event counts, and GET /api/audit/verify is ok;
 * - re-sending every command once more with its key changes no history;
 * - every timer whose time came fired exactly once, never early, and the clock survived restarts.
 * Figures and the seed are printed; RELIABILITY_SEED=… repeats the same choices (the timing of
 * the processes themselves is not repeatable). DONDOC_SOAK=1 (`npm run test:soak`) runs longer.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { isDeepStrictEqual } from 'node:util';
import { mulberry32, type Random } from '../../src/simulation/prng.js';
import { describeEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.js';
import { freePort, loginOn, startServer, type ServerProcess } from '../support/server-process.js';
import { attempt, mintToken, untilAnswered } from './support/chaos-http.js';
import { ClockDriver } from './support/clock-driver.js';
import {
  checkTimers,
  compareHistories,
  readDatabaseFacts,
  type HistoryEvent,
} from './support/crash-checks.js';
import {
  LoadClient,
  type AcknowledgedCommand,
  type Actor,
  type OwnedObligation,
} from './support/load-clients.js';
import { reliabilityConfig, runTimeoutMs } from './support/reliability-config.js';

const PLAN = 'thanh-hoa-nq46';
const PASSWORD = 'mat-khau-thu-nghiem';
const config = reliabilityConfig();
/** The cycle opens on 1/6; the clock then walks from 10/10 (before the first reminder) to 20/12. */
const OPENED = Date.parse('2025-06-01T03:00:00Z');
const WALK: [number, number] = [
  Date.parse('2025-10-10T03:00:00Z'),
  Date.parse('2025-12-20T03:00:00Z'),
];
/** Past every ladder step of every deadline an extension can set, and past every claim's lease. */
const END = Date.parse('2026-01-31T03:00:00Z');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachDatabase('crash under load', (dialect) => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  /** Aborted when the test is over (passed, failed or timed out): every loop stops. */
  const over = new AbortController();

  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    over.abort();
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await db?.drop();
  });

  it(
    `survives ${config.kills} SIGKILLs: acknowledged commands kept once, timers fired once, audit ok`,
    async () => {
      const started = Date.now();
      const seed = config.seed;
      process.stdout.write(
        `crash-under-load [${dialect}]: seed ${seed} (RELIABILITY_SEED=${seed} repeats its choices), ` +
          `${config.kills} kills, ${config.clients} clients\n`,
      );
      const rng = mulberry32(seed);
      const fork = (salt: number): Random => mulberry32(seed * 31 + salt);
      const env = { PORT: String(await freePort()), DONDOC_LOGIN_RATE_LIMIT: '1000' };
      server = await startServer(db, env);
      const url = server.url;
      await loginOn(server); // the configured admin password and JWT secret work
      const admin = mintToken('admin', 'admin');
      const driver = new ClockDriver(url, admin, fork(1), over.signal);
      await driver.set(OPENED);

      // The cycle, an aggregator, and an officer for each obligation a client will own.
      const opened = await untilAnswered<{
        obligations: Array<{ id: string; agencyCode: string }>;
      }>(() => attempt(url, 'POST', `/api/plans/${PLAN}/cycles`, admin, { year: 2025 }));
      expect(opened.status).toBe(201);
      const all = opened.body.obligations;
      const owned = shuffled(all, rng).slice(0, config.clients * config.obligationsPerClient);
      const createUser = async (body: object) => {
        const res = await untilAnswered(() => attempt(url, 'POST', '/api/users', admin, body));
        expect(res.status).toBe(201);
      };
      await createUser({ username: 'tonghop', password: PASSWORD, role: 'aggregator' });
      const aggregator: Actor = { username: 'tonghop', token: mintToken('tonghop', 'aggregator') };
      const owners: OwnedObligation[] = [];
      for (const o of owned) {
        const username = `canbo.${o.agencyCode.toLowerCase()}`;
        await createUser({
          username,
          password: PASSWORD,
          role: 'officer',
          agencyCode: o.agencyCode,
        });
        const officer = { username, token: mintToken(username, 'officer') };
        owners.push({ id: o.id, agencyCode: o.agencyCode, officer, stage: 'plan_drafted' });
      }
      const clients = Array.from(
        { length: config.clients },
        (_, c) =>
          new LoadClient(
            `crash-${seed}-c${c}`,
            url,
            owners.slice(c * config.obligationsPerClient, (c + 1) * config.obligationsPerClient),
            aggregator,
            fork(100 + c),
            config.thinkMs,
            over.signal,
          ),
      );

      // The run: clients and the clock driver work while the killer kills and restarts.
      let kills = 0;
      let stopping = false;
      const killerProblems: string[] = [];
      const bootMs: number[] = [];
      const stepCount = 2 * config.kills + 2;
      const steps = Array.from(
        { length: stepCount },
        (_, i) => WALK[0] + Math.round(((WALK[1] - WALK[0]) * i) / (stepCount - 1)),
      );
      const working = [
        ...clients.map((c) => c.run(() => stopping)),
        driver.run(
          steps,
          () => 2 * (kills + 1),
          () => stopping,
        ),
      ];
      const killerRng = fork(2);
      for (let k = 0; k < config.kills && !over.signal.aborted; k++) {
        const current: ServerProcess = server;
        const died = await Promise.race([
          sleep(killerRng.int(config.uptimeMs[0], config.uptimeMs[1])).then(() => false),
          current.exited.then(() => true),
        ]);
        if (died)
          killerProblems.push(`the server exited by itself:\n${current.output().slice(-3000)}`);
        current.child.kill('SIGKILL');
        await current.exited;
        kills += 1;
        const booting = Date.now();
        server = await startServer(db, env);
        bootMs.push(Date.now() - booting);
        const floor = driver.acknowledged;
        const clock = await untilAnswered<{ now: string }>(() =>
          attempt(url, 'GET', '/api/clock', admin),
        );
        if (!driver.plausibleAfterRestart(Date.parse(clock.body.now), floor)) {
          killerProblems.push(
            `after restart ${kills} the clock reads ${clock.body.now}, not a time the test set`,
          );
        }
      }
      stopping = true;
      await Promise.all(working);
      const runMs = Date.now() - started;

      // Past everything: the last timers fire; then a clean stop waits for any sweep in progress.
      await driver.set(END);
      await driver.sweep();
      expect(await driver.sweep()).toBe(0);
      expect(await server.stop()).toBe(0);

      // A last, clean restart: read, re-send every command with its key, read again.
      server = await startServer(db, env);
      const acknowledged = clients.flatMap((c) => c.acknowledged);
      const before = await histories(
        url,
        admin,
        all.map((o) => o.id),
      );
      const resendProblems = await resendAll(url, acknowledged);
      const after = await histories(
        url,
        admin,
        all.map((o) => o.id),
      );
      const escalations = await untilAnswered<unknown[]>(() =>
        attempt(url, 'GET', `/api/escalations?planId=${PLAN}&year=2025`, admin),
      );
      const verify = await untilAnswered<{ ok: boolean; events: number; problems: unknown[] }>(() =>
        attempt(url, 'GET', '/api/audit/verify', admin),
      );
      expect(await server.stop()).toBe(0);
      const facts = await readDatabaseFacts(db, END);

      const retried = acknowledged.filter((c) => c.unanswered > 0).length;
      const lost = acknowledged.filter((c) => c.lost > 0).length;
      const bootAvg = Math.round(bootMs.reduce((a, b) => a + b, 0) / Math.max(1, bootMs.length));
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      process.stdout.write(
        `crash-under-load [${dialect}] seed ${seed}: ${kills} SIGKILLs survived; ` +
          `${acknowledged.length} commands acknowledged, each found once in its history and re-sent ` +
          `with its key (${lost} had their answer cut by a kill, ${retried} were retried); ` +
          `${facts.fired.length} timers fired exactly once, ${facts.pendingDue.length} due left unfired; ` +
          `${driver.sweeps} sweeps; audit verify ${verify.body.ok ? 'ok' : 'FAILED'} over ${verify.body.events} events; ` +
          `load ${seconds(runMs)} (restart ${bootAvg} ms on average), total ${seconds(Date.now() - started)}\n`,
      );

      expect(killerProblems).toEqual([]);
      expect(clients.flatMap((c) => c.failures)).toEqual([]);
      expect(driver.failures).toEqual([]);
      expect(kills).toBe(config.kills);
      expect(compareHistories(acknowledged, before)).toEqual([]);
      expect(resendProblems).toEqual([]);
      expect(changedHistories(before, after)).toEqual([]);
      expect(verify.body).toMatchObject({ ok: true, problems: [], events: facts.events });
      expect(facts.versionMismatches).toEqual([]);
      expect(facts.idempotencyKeys).toBe(acknowledged.length);
      expect(checkTimers(facts)).toEqual([]);
      expect(escalations.body).toHaveLength(facts.fired.length);
      // The clock did cross the ladder: reminders, deadline passes and escalations fired.
      expect(new Set(facts.fired.map((t) => t.kind))).toEqual(
        new Set(['REMIND', 'DEADLINE_PASSED', 'ESCALATE']),
      );
    },
    runTimeoutMs(config),
  );
});

/** A copy of `items` in a seeded random order. */
function shuffled<T>(items: T[], rng: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function histories(
  url: string,
  token: string,
  ids: string[],
): Promise<Map<string, HistoryEvent[]>> {
  const out = new Map<string, HistoryEvent[]>();
  for (const id of ids) {
    const res = await untilAnswered<HistoryEvent[]>(() =>
      attempt(url, 'GET', `/api/obligations/${id}/history`, token),
    );
    if (res.status !== 200) throw new Error(`history of ${id}: ${res.status}`);
    out.set(id, res.body);
  }
  return out;
}

/** Re-sends each acknowledged command with its key: the answer must be the one first given. */
async function resendAll(url: string, commands: AcknowledgedCommand[]): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const c = commands[next++]!;
      const res = await untilAnswered(() =>
        attempt(
          url,
          'POST',
          `/api/obligations/${c.obligationId}/events`,
          c.as.token,
          { type: c.type, payload: c.payload },
          { 'Idempotency-Key': c.key },
        ),
      );
      if (res.status !== 200 || !isDeepStrictEqual(res.body, c.answer)) {
        problems.push(`${c.key}: re-sent, answered ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return problems;
}

function changedHistories(
  before: Map<string, HistoryEvent[]>,
  after: Map<string, HistoryEvent[]>,
): string[] {
  return [...before].flatMap(([id, events]) =>
    isDeepStrictEqual(events, after.get(id)) ? [] : [`${id}: the history changed on re-send`],
  );
}
