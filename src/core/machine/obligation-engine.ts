/**
 * Pure transition functions over persisted obligation snapshots, using XState's
 * `initialTransition` / `transition`. No actor is ever started; nothing here performs I/O.
 */
import {
  createActor,
  initialTransition,
  type AnyActorScope,
  type AnyMachineSnapshot,
} from 'xstate';
import { DomainError, ErrorCode, ValidationError } from '../errors.js';
import type { ObligationContext, ObligationInput } from './annual-report.machine.js';
import { getMachine } from './machine-registry.js';
import {
  EVENT_PAYLOADS,
  EVENT_TYPES,
  isEventType,
  type EventType,
  type MachineEvent,
  type Stage,
} from './obligation-events.js';

/** What is stored for an obligation: JSON only. */
export interface PersistedSnapshot {
  value: Stage;
  context: ObligationContext;
}

export interface EngineState {
  stage: Stage;
  context: ObligationContext;
  snapshot: PersistedSnapshot;
}

function toState(snapshot: AnyMachineSnapshot): EngineState {
  const stage = snapshot.value as Stage;
  const context = snapshot.context as ObligationContext;
  return { stage, context, snapshot: { value: stage, context } };
}

function restore(ref: string, persisted: PersistedSnapshot): AnyMachineSnapshot {
  const { machine } = getMachine(ref);
  return machine.resolveState({ value: persisted.value, context: persisted.context });
}

/**
 * One inert actor scope per machine version. XState's `transition()` builds a fresh actor for
 * every call (about 16 µs, most of a replay's cost); the machines here spawn and invoke nothing
 * and their actions are only `assign`, so one scope whose effects are no-ops can serve every
 * transition. Built from public API only (`createActor`, the `ActorScope` shape).
 */
const scopes = new Map<string, AnyActorScope>();

function scopeFor(ref: string): AnyActorScope {
  let scope = scopes.get(ref);
  if (!scope) {
    const self = createActor(getMachine(ref).machine);
    scope = {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      emit: () => {},
      system: self.system,
      stopChild: () => {},
      actionExecutor: () => {},
    };
    scopes.set(ref, scope);
  }
  return scope;
}

/** The state of a new obligation. */
export function startObligation(ref: string, input: ObligationInput): EngineState {
  const { machine } = getMachine(ref);
  const [snapshot] = initialTransition(machine, input);
  return toState(snapshot);
}

const acceptedByStage = new Map<string, readonly EventType[]>();

/**
 * Event types the stage accepts (before any role filtering). For guard-free machines the answer
 * depends on the stage only and is memoised.
 */
export function acceptedEvents(ref: string, persisted: PersistedSnapshot): EventType[] {
  const key = `${ref}|${persisted.value}`;
  const cached = acceptedByStage.get(key);
  if (cached) return [...cached];
  const snapshot = restore(ref, persisted);
  const accepted = EVENT_TYPES.filter((type) => snapshot.can({ type } as never));
  if (getMachine(ref).guardFree) acceptedByStage.set(key, accepted);
  return [...accepted];
}

/**
 * Validates an event's type and payload; throws a ValidationError naming the field.
 * Returns the parsed (trimmed) payload.
 */
export function parseEventPayload(
  type: unknown,
  payload: unknown,
): { type: EventType; payload: MachineEvent['payload'] } {
  if (!isEventType(type)) {
    throw new ValidationError(`Unknown event type ${JSON.stringify(type)}`, [
      { path: 'type', message: `must be one of ${EVENT_TYPES.join(', ')}` },
    ]);
  }
  const result = EVENT_PAYLOADS[type].safeParse(payload ?? {});
  if (!result.success) {
    const fields = result.error.issues.map((issue) => ({
      path: ['payload', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    throw new ValidationError(
      `Invalid payload for ${type}: ${fields.map((f) => `${f.path} ${f.message}`).join('; ')}`,
      fields,
    );
  }
  return { type, payload: result.data as MachineEvent['payload'] };
}

/**
 * Applies one event. Throws EVENT_NOT_ALLOWED (with the stage and the accepted events) when the
 * current stage does not accept it; XState itself would silently return the same snapshot.
 */
export function applyEvent(
  ref: string,
  persisted: PersistedSnapshot,
  event: MachineEvent,
): EngineState {
  const { machine } = getMachine(ref);
  const snapshot = restore(ref, persisted);
  if (!snapshot.can(event)) {
    const allowed = EVENT_TYPES.filter((type) => snapshot.can({ type } as never));
    throw new DomainError(
      ErrorCode.EVENT_NOT_ALLOWED,
      `${event.type} is not allowed in stage ${persisted.value}`,
      { stage: persisted.value, allowedEvents: allowed },
    );
  }
  return toState(machine.transition(snapshot, event, scopeFor(ref)));
}

/** JSON description of a machine: its stages, the transitions out of each, and its version. */
export function describeMachine(ref: string): {
  id: string;
  version: number;
  ref: string;
  initial: string;
  stages: Array<{
    name: string;
    final: boolean;
    on: Array<{ event: string; target: string | null }>;
  }>;
  events: string[];
} {
  const entry = getMachine(ref);
  const root = entry.machine.root;
  const stages = Object.values(root.states).map((node) => ({
    name: node.key,
    final: node.type === 'final',
    on: [...node.transitions.entries()].map(([event, transitions]) => ({
      event,
      target: transitions[0]?.target?.[0]?.key ?? null,
    })),
  }));
  return {
    id: entry.id,
    version: entry.version,
    ref,
    initial: String(root.initial?.target[0]?.key ?? ''),
    stages,
    events: [...EVENT_TYPES],
  };
}
