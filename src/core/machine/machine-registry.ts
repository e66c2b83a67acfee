/**
 * Every lifecycle machine version the engine knows. Old versions stay here forever so that events
 * recorded under them can be replayed. Pure.
 */
import type { AnyStateMachine } from 'xstate';
import { DomainError, ErrorCode } from '../errors.js';
import { annualReportMachineV1 } from './annual-report.machine.js';
import { annualReportMachineV2 } from './annual-report-v2.machine.js';

export interface MachineEntry {
  id: string;
  version: number;
  machine: AnyStateMachine;
  /** True when no transition has a guard, so a stage alone decides which events it accepts. */
  guardFree: boolean;
}

const ENTRIES: readonly MachineEntry[] = [
  { id: 'annual-report', version: 1, machine: annualReportMachineV1, guardFree: true },
  { id: 'annual-report', version: 2, machine: annualReportMachineV2, guardFree: true },
];

/** `annual-report@1`: how a machine version is written on obligations and events. */
export function machineRef(id: string, version: number): string {
  return `${id}@${version}`;
}

export function knownMachines(): ReadonlyArray<{ id: string; version: number }> {
  return ENTRIES.map(({ id, version }) => ({ id, version }));
}

const BY_REF = new Map(ENTRIES.map((e) => [machineRef(e.id, e.version), e]));

export function getMachine(ref: string): MachineEntry {
  const entry = BY_REF.get(ref);
  if (!entry) {
    throw new DomainError(ErrorCode.INTERNAL, `Unknown machine version "${ref}"`, { ref });
  }
  return entry;
}
