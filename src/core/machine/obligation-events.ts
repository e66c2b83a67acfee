/**
 * The events of an obligation's lifecycle and the payload each one carries.
 * Pure: payloads are validated here so that HTTP, CLI and scheduler share one definition.
 */
import { z } from 'zod';

export const STAGES = [
  'plan_drafted',
  'implementing',
  'report_submitted',
  // Only in annual-report@2: the aggregator has checked the submitted report.
  'report_verified',
  'aggregated',
  'reported_to_ubnd',
  'withdrawn',
] as const;
export type Stage = (typeof STAGES)[number];

/** Stages in which nothing more can happen. */
export const FINAL_STAGES: readonly Stage[] = ['reported_to_ubnd', 'withdrawn'];

const text = (max: number) => z.string().trim().min(1).max(max);
const civilDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a civil date YYYY-MM-DD')
  .refine((s) => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    const dt = new Date(Date.UTC(y, m - 1, d));
    return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
  }, 'not a real calendar date');

const agencyCode = z
  .string()
  .max(64)
  .regex(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/, 'expected an agency code such as SO_NNMT');

/** Payload schema of each event type; unknown payload fields are rejected. */
export const EVENT_PAYLOADS = {
  START_IMPLEMENTATION: z.strictObject({ planRef: text(200) }),
  SUBMIT_REPORT: z.strictObject({ reportRef: text(200), summary: text(5000).optional() }),
  RETURN_REPORT: z.strictObject({ reason: text(2000) }),
  /** annual-report@2 only: the aggregator has checked the submitted report. */
  VERIFY_REPORT: z.strictObject({}),
  AGGREGATE: z.strictObject({}),
  REPORT_TO_UBND: z.strictObject({ consolidatedReportRef: text(200) }),
  EXTEND_DEADLINE: z.strictObject({ newDueDate: civilDate, basis: text(500) }),
  WITHDRAW: z.strictObject({ basis: text(500) }),
  /** The obligation passes to another agency (a successor), keeping its history. */
  TRANSFER: z.strictObject({ toAgency: agencyCode, basis: text(500) }),
  REMIND: z.strictObject({ level: z.number().int().min(1), note: text(500).optional() }),
  DEADLINE_PASSED: z.strictObject({ level: z.number().int().min(1) }),
  ESCALATE: z.strictObject({ level: z.number().int().min(1), note: text(500).optional() }),
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;
export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as EventType[];
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_PAYLOADS)[T]>;

/** Events only the scheduler may send (never a person, through HTTP or the CLI). */
export const SYSTEM_EVENTS: readonly EventType[] = ['REMIND', 'DEADLINE_PASSED', 'ESCALATE'];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_PAYLOADS, value);
}

/**
 * An event as the machine receives it: the payload plus when it took effect and who sent it.
 * `dueAt` is filled in by the service for EXTEND_DEADLINE (the instant the new date resolves to),
 * `fromAgency` for TRANSFER (the agency the obligation leaves); both are stored in the event's
 * payload, so a replay needs nothing else.
 */
export type MachineEvent = {
  [T in EventType]: {
    type: T;
    payload: EventPayload<T>;
    effectiveAt: string;
    actor: string;
    dueAt?: string;
    fromAgency?: string;
  };
}[EventType];
