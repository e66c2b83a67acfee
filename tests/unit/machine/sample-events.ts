import type { EventType, MachineEvent } from '../../../src/core/machine/obligation-events.js';

const PAYLOADS: Record<EventType, unknown> = {
  START_IMPLEMENTATION: { planRef: '12/KH-SNN' },
  SUBMIT_REPORT: { reportRef: '345/BC-SNN', summary: 'Đã triển khai' },
  RETURN_REPORT: { reason: 'Thiếu số liệu' },
  AGGREGATE: {},
  REPORT_TO_UBND: { consolidatedReportRef: '99/BC-SNNMT' },
  EXTEND_DEADLINE: { newDueDate: '2025-11-30', basis: 'Công văn 1/UBND' },
  WITHDRAW: { basis: 'Quyết định 2/QĐ-UBND' },
  TRANSFER: { toAgency: 'SO_NNMT', basis: 'Nghị định 45/2025/NĐ-CP' },
  REMIND: { level: 1 },
  DEADLINE_PASSED: { level: 1 },
  ESCALATE: { level: 2 },
  VERIFY_REPORT: {},
};

/** A valid event of the given type, for tests. */
export function sampleEvent(
  type: EventType,
  effectiveAt = '2025-06-01T03:00:00.000Z',
): MachineEvent {
  return { type, payload: PAYLOADS[type], effectiveAt, actor: 'test' } as MachineEvent;
}
