/**
 * The clients of the crash test. Each owns a few obligations (no other client sends to them), so
 * it knows their stage without asking, and sends the next command of a loop that never ends:
 * start, submit, have the aggregator return the report, submit again…, now and then an
 * extension. Every command carries its own Idempotency-Key; a command that got no answer is
 * sent again, unchanged, until it does. Only answered commands (200) are recorded as
 * acknowledged; any other answer is a failure of the server, not of the client.
 */
import type { Random } from '../../../src/simulation/prng.js';
import { attempt, untilAnswered } from './chaos-http.js';

export interface Actor {
  username: string;
  token: string;
}

type Stage = 'plan_drafted' | 'implementing' | 'report_submitted';

export interface OwnedObligation {
  id: string;
  agencyCode: string;
  officer: Actor;
  stage: Stage;
}

/** What the server answered about the obligation (the fields the checks read). */
export interface ObligationAnswer {
  id: string;
  version: number;
  stage: string;
}

export interface AcknowledgedCommand {
  key: string;
  obligationId: string;
  type: string;
  payload: Record<string, unknown>;
  as: Actor;
  /** The 200 answer. */
  answer: ObligationAnswer;
  /** Tries without an answer before it (the same key each time). */
  unanswered: number;
  /** Of those, tries that reached a server that was then killed (not refused). */
  lost: number;
}

interface Step {
  type: string;
  payload: Record<string, unknown>;
  as: Actor;
  stageAfter: Stage;
}

const DAY_MS = 86_400_000;

export class LoadClient {
  readonly acknowledged: AcknowledgedCommand[] = [];
  readonly failures: string[] = [];

  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly owned: OwnedObligation[],
    private readonly aggregator: Actor,
    private readonly rng: Random,
    private readonly thinkMs: [number, number],
    private readonly signal: AbortSignal,
  ) {}

  /** Sends commands until `stop()` says so; the command in progress is finished first. */
  async run(stop: () => boolean): Promise<void> {
    for (let n = 0; !stop() && this.failures.length === 0; n++) {
      const o = this.owned[this.rng.int(0, this.owned.length - 1)]!;
      const step = this.nextStep(o, n);
      const key = `${this.name}-${n}`;
      try {
        const answer = await untilAnswered<ObligationAnswer>(
          () =>
            attempt(
              this.url,
              'POST',
              `/api/obligations/${o.id}/events`,
              step.as.token,
              { type: step.type, payload: step.payload },
              { 'Idempotency-Key': key },
            ),
          this.signal,
        );
        if (answer.status !== 200) {
          this.failures.push(
            `${key} ${step.type} on ${o.agencyCode} (${o.stage}): ${answer.status} ${JSON.stringify(answer.body)}`,
          );
          return;
        }
        this.acknowledged.push({
          key,
          obligationId: o.id,
          type: step.type,
          payload: step.payload,
          as: step.as,
          answer: answer.body,
          unanswered: answer.unanswered,
          lost: answer.lost,
        });
        o.stage = step.stageAfter;
      } catch (error) {
        this.failures.push(`${key} ${step.type}: ${(error as Error).message}`);
        return;
      }
      const pause = this.rng.int(this.thinkMs[0], this.thinkMs[1]);
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    }
  }

  private nextStep(o: OwnedObligation, n: number): Step {
    const ref = `${n}/${this.name}`;
    switch (o.stage) {
      case 'plan_drafted':
        return {
          type: 'START_IMPLEMENTATION',
          payload: { planRef: `KH ${ref}` },
          as: o.officer,
          stageAfter: 'implementing',
        };
      case 'implementing':
        if (this.rng.next() < 0.15) {
          // A new deadline between 1/11 and 20/12: timers move, some to the past (due at once).
          const date = new Date(Date.UTC(2025, 10, 1) + this.rng.int(0, 49) * DAY_MS);
          return {
            type: 'EXTEND_DEADLINE',
            payload: { newDueDate: date.toISOString().slice(0, 10), basis: `Công văn ${ref}` },
            as: this.aggregator,
            stageAfter: 'implementing',
          };
        }
        return {
          type: 'SUBMIT_REPORT',
          payload: { reportRef: `BC ${ref}` },
          as: o.officer,
          stageAfter: 'report_submitted',
        };
      case 'report_submitted':
        return {
          type: 'RETURN_REPORT',
          payload: { reason: `Thiếu số liệu ${ref}` },
          as: this.aggregator,
          stageAfter: 'implementing',
        };
    }
  }
}
