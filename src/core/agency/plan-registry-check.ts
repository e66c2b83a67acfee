/**
 * The checks between a plan and the agency registry it names (pure): they need both files, so
 * they run when the plans are loaded, after each file passed its own validation. Problems are
 * located in the plan file.
 */
import type { FieldProblem } from '../errors.js';
import type { PlanDefinition } from '../plan/plan.types.js';
import type { AgencyRegistry } from './agency-registry.js';
import { rosterReferenceDate } from './roster.js';

/**
 * Every roster agency is in the registry, in the same group, and valid on 1 January of the
 * plan's first cycle year; every succession choice names one of the registry's successors of its
 * agency.
 */
export function planRegistryProblems(
  plan: PlanDefinition,
  registry: AgencyRegistry,
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const firstDay = rosterReferenceDate(plan.cycle.firstYear);
  plan.agencies.forEach((a, i) => {
    const records = registry.records(a.code);
    if (records.length === 0) {
      out.push({
        path: `agencies[${i}].code`,
        message: `expected an agency of registry ${registry.id}, found ${a.code}, which it does not list`,
      });
      return;
    }
    const record = registry.recordOn(a.code, firstDay);
    if (!record) {
      out.push({
        path: `agencies[${i}].code`,
        message: `expected an agency valid on ${firstDay} (the plan's first cycle) in registry ${registry.id}, found ${a.code}, which is not`,
      });
    } else if (record.group !== a.group) {
      out.push({
        path: `agencies[${i}].group`,
        message: `expected group ${JSON.stringify(record.group)} as in registry ${registry.id}, found ${JSON.stringify(a.group)}`,
      });
    }
  });
  plan.succession.forEach((c, i) => {
    const successors = [
      ...new Set(registry.records(c.agency).flatMap((r) => r.successors.map((s) => s.code))),
    ];
    if (!successors.includes(c.successor)) {
      out.push({
        path: `succession[${i}].successor`,
        message:
          successors.length === 0
            ? `expected a successor of ${c.agency} in registry ${registry.id}, found ${c.successor}; the registry records none`
            : `expected one of the successors of ${c.agency} in registry ${registry.id} (${successors.join(', ')}), found ${c.successor}`,
      });
    }
  });
  return out;
}
