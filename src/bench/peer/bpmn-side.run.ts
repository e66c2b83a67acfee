/**
 * The peer side of `npm run bench:peer`, run in its own process. Like dondoc opening a cycle,
 * it first starts one bpmn-engine process instance per obligation (the four-task process; each
 * state persisted), then `concurrency` workers take the obligations one by one through their
 * four tasks. After each step `engine.getState()` is written to SQLite (better-sqlite3, WAL,
 * synchronous=NORMAL as dondoc uses: one upsert, one transaction per step).
 *
 * Two ways to keep the waiting instances, chosen by the mode argument:
 * - `memory` (default, the peer's fastest): the engines stay in memory between steps, as a
 *   BPMN server holding its waiting processes does; memory grows with the open obligations;
 * - `recover`: each step recovers the engine from its persisted state (`recover` + `resume`),
 *   as a stateless server behind a load balancer would; memory stays flat.
 *
 * Arguments: <folder> <obligations> <concurrency> [memory|recover].
 */
import BetterSqlite3 from 'better-sqlite3';
import { Engine } from 'bpmn-engine';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { ANNUAL_REPORT_BPMN } from './annual-report.bpmn.js';
import { printResult } from './run-result.js';

const TASKS = ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'AGGREGATE', 'REPORT_TO_UBND'];

interface Waiting {
  id: string;
  signal(message?: unknown): void;
}

/** An engine with a listener that queues the tasks it waits in, and the one it waits in now. */
class Instance {
  readonly listener = new EventEmitter();
  current: Waiting | null = null;
  private readonly waiting: Waiting[] = [];
  private wake: (() => void) | null = null;

  constructor(readonly engine: Engine) {
    this.listener.on('wait', (api: Waiting) => {
      this.waiting.push(api);
      this.wake?.();
    });
  }

  /** Waits until the process waits in its next task. */
  async advance(): Promise<Waiting> {
    while (this.waiting.length === 0) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    this.current = this.waiting.shift()!;
    return this.current;
  }
}

async function main(): Promise<void> {
  const [dir, n, c, modeArg] = process.argv.slice(2);
  const obligations = Number(n);
  const concurrency = Number(c);
  const mode = modeArg === 'recover' ? 'recover' : 'memory';
  const db = new BetterSqlite3(path.join(dir!, 'bpmn-engine.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE process_state (
    id TEXT PRIMARY KEY, step INTEGER NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL)`);
  const save = db.prepare(
    `INSERT INTO process_state (id, step, state, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET step = excluded.step, state = excluded.state,
       updated_at = excluded.updated_at`,
  );
  const load = db.prepare('SELECT state FROM process_state WHERE id = ?');
  const problems: string[] = [];
  const alive = new Map<string, Instance>();
  const idOf = (i: number) => `obligation-${i}`;
  const persist = async (id: string, step: number, engine: Engine) =>
    save.run(id, step, JSON.stringify(await engine.getState()), Date.now());

  const open = async (i: number): Promise<void> => {
    const instance = new Instance(new Engine({ name: idOf(i), source: ANNUAL_REPORT_BPMN }));
    await instance.engine.execute({ listener: instance.listener, variables: { obligation: i } });
    await instance.advance();
    await persist(idOf(i), 0, instance.engine);
    if (mode === 'memory') alive.set(idOf(i), instance);
    else await instance.engine.stop();
  };

  /** One step: signal the task the instance waits in, then persist its state. */
  const step = async (i: number, s: number): Promise<void> => {
    const id = idOf(i);
    let instance = alive.get(id);
    if (!instance) {
      const { state } = load.get(id) as { state: string };
      instance = new Instance(new Engine({ name: id }).recover(JSON.parse(state)));
      await instance.engine.resume({ listener: instance.listener });
      await instance.advance();
    }
    const task = instance.current!;
    if (task.id !== TASKS[s]) problems.push(`${id}: waiting in ${task.id}, not ${TASKS[s]}`);
    const ended = s === TASKS.length - 1 ? instance.engine.waitFor('end') : null;
    task.signal({ step: TASKS[s], ref: `${TASKS[s]}-${i}` });
    if (ended) await ended;
    else await instance.advance();
    await persist(id, s + 1, instance.engine);
    if (mode === 'recover' && !ended) await instance.engine.stop();
  };

  const started = performance.now();
  let next = 0;
  const opener = async (): Promise<void> => {
    for (let i = next++; i < obligations; i = next++) await open(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, obligations) }, opener));
  const opened = performance.now();
  next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < obligations; i = next++) {
      for (let s = 0; s < TASKS.length; s++) await step(i, s);
      alive.delete(idOf(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, obligations) }, worker));
  const done = performance.now();

  const rows = db.prepare('SELECT step, state FROM process_state').all() as Array<{
    step: number;
    state: string;
  }>;
  const completed = rows.filter(
    (r) =>
      r.step === TASKS.length &&
      (JSON.parse(r.state) as { definitions: Array<{ execution?: { completed?: boolean } }> })
        .definitions[0]?.execution?.completed === true,
  ).length;
  if (completed !== obligations) {
    problems.push(`${completed} of ${obligations} processes completed and persisted`);
  }
  db.close();
  printResult({
    side: 'bpmn-engine',
    mode,
    obligations,
    concurrency,
    steps: obligations * TASKS.length,
    seconds: (done - started) / 1000,
    stepSeconds: (done - opened) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    problems,
  });
}

await main();
