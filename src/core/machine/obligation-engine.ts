/**
 * Pure transition functions over persisted obligation snapshots, using XState's
 * `initialTransition` / `transition`. No actor is ever started; nothing here performs I/O.
 */
import { createActor, type AnyActorScope, type AnyMachineSnapshot } from 'xstate';
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

/** `resolveState` of each machine version and stage, without a context (see `restore`). */
const resolvedStages = new Map<string, AnyMachineSnapshot>();

/**
 * `machine.resolveState(persisted)`, memoised: what it computes from the stage (the state nodes,
 * value, tags, status) is resolved once per machine version and stage; each call gets a copy
 * with its own context, children and history, which is what `resolveState` returns.
 */
function restore(ref: string, persisted: PersistedSnapshot): AnyMachineSnapshot {
  const key = `${ref}|${persisted.value}`;
  let resolved = resolvedStages.get(key);
  if (!resolved) {
    resolved = getMachine(ref).machine.resolveState({ value: persisted.value, context: {} });
    resolvedStages.set(key, resolved);
  }
  return { ...resolved, context: persisted.context, children: {}, historyValue: {} };
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
  return toState(initialSnapshot(ref, input));
}

/** What `initialTransition` computes, with the version's inert scope instead of a new actor. */
function initialSnapshot(ref: string, input: ObligationInput): AnyMachineSnapshot {
  return getMachine(ref).machine.getInitialSnapshot(scopeFor(ref), input);
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
  return toState(step(ref, restore(ref, persisted), event));
}

function step(ref: string, snapshot: AnyMachineSnapshot, event: MachineEvent): AnyMachineSnapshot {
  if (!accepts(ref, snapshot, event)) {
    const stage = snapshot.value as Stage;
    const allowed = EVENT_TYPES.filter((type) => snapshot.can({ type } as never));
    throw new DomainError(
      ErrorCode.EVENT_NOT_ALLOWED,
      `${event.type} is not allowed in stage ${stage}`,
      { stage, allowedEvents: allowed },
    );
  }
  return getMachine(ref).machine.transition(snapshot, event, scopeFor(ref));
}

/** Whether the state accepts the event: by stage alone (memoised) when the machine has no guards. */
function accepts(ref: string, snapshot: AnyMachineSnapshot, event: MachineEvent): boolean {
  if (!getMachine(ref).guardFree) return snapshot.can(event);
  const key = `${ref}|${String(snapshot.value)}`;
  let accepted = acceptedByStage.get(key);
  if (!accepted) {
    accepted = EVENT_TYPES.filter((type) => snapshot.can({ type } as never));
    acceptedByStage.set(key, accepted);
  }
  return accepted.includes(event.type);
}

/**
 * A replay in progress: the machine's own snapshot is carried from one event to the next, so a
 * long history is not turned into JSON and restored again at every event. Each step runs under
 * the machine version it names; the snapshot is restored under another version only when the
 * version changes. Gives exactly what `applyEvent` on the persisted states gives.
 */
export class ReplayCursor {
  private snapshot: AnyMachineSnapshot;

  private constructor(
    private ref: string,
    snapshot: AnyMachineSnapshot,
  ) {
    this.snapshot = snapshot;
  }

  static start(ref: string, input: ObligationInput): ReplayCursor {
    return new ReplayCursor(ref, initialSnapshot(ref, input));
  }

  /** Applies one event under machine version `ref` (throws EVENT_NOT_ALLOWED as applyEvent). */
  apply(ref: string, event: MachineEvent): void {
    this.rebase(ref);
    this.snapshot = step(ref, this.snapshot, event);
  }

  /** Carries the state (stage and context, unchanged) over to machine version `ref`. */
  rebase(ref: string): void {
    if (ref === this.ref) return;
    this.snapshot = restore(ref, toState(this.snapshot).snapshot);
    this.ref = ref;
  }

  get state(): EngineState {
    return toState(this.snapshot);
  }
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
