/**
 * Agency names for people, "as they were and as they are" (pure). Reports written after the 2025
 * reorganisation name an agency that no longer exists together with the one that carries its
 * functions now: "Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)".
 */
import type { AgencyRegistry } from './agency-registry.js';
import type { AgencyRecord } from './agency.types.js';
import { addDays, vietnameseDate } from './civil-date.js';

/**
 * The official name of `code` on `date`: the record valid then, else the nearest one (a code
 * named before it existed takes its first name, one named after it ended its last). Null when
 * there is no registry or the code is not in it.
 */
export function agencyNameOn(
  registry: AgencyRegistry | null,
  code: string,
  date: string,
): string | null {
  return registry?.nameRecord(code, date)?.name ?? null;
}

export interface AgencyLabelOptions {
  /**
   * The agency that took over this particular obligation (the obligation's current agency after a
   * TRANSFER). Needed to name a split agency's successor: the registry alone lists them all.
   */
  successor?: string;
}

/** "A, B, C và D". */
function joinVietnamese(names: string[]): string {
  return names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} và ${names[names.length - 1]}`;
}

const nameOn = (registry: AgencyRegistry, code: string, date: string) =>
  registry.nameRecord(code, date)?.name ?? code;

/**
 * How a report dated `asOf` (a civil date) names `code`:
 * - valid on `asOf`: its name then, e.g. "Sở Công Thương";
 * - ended, one successor (followed through later single successions):
 *   "Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)" (the old short name, if any);
 * - ended and split, or ended without successors and moved by an administrator, with
 *   `options.successor` (who took this obligation):
 *   "Sở Lao động - Thương binh và Xã hội (nhiệm vụ nay do Sở Giáo dục và Đào tạo thực hiện)";
 * - ended and split, no successor given:
 *   "… (nay chức năng, nhiệm vụ chuyển về Sở Nội vụ, Sở Y tế, … và Sở Nông nghiệp và Môi trường)";
 * - ended with no successor: "UBND huyện Bá Thước (đã chấm dứt hoạt động từ ngày 01/7/2025)";
 * - not in the registry: the code itself; not yet valid on `asOf`: its first name.
 */
export function agencyLabel(
  registry: AgencyRegistry,
  code: string,
  asOf: string,
  options: AgencyLabelOptions = {},
): string {
  if (!registry.has(code)) return code;
  const current = registry.recordOn(code, asOf);
  if (current) return current.name;
  const ended = registry.lastEndedBefore(code, asOf);
  if (!ended) return nameOn(registry, code, asOf);
  const old = ended.shortName ?? ended.name;
  const { successor } = options;
  if (successor !== undefined && successor !== code) {
    const name = nameOn(registry, successor, asOf);
    // "nay là" only for the registry's one successor; a split agency's part, or an obligation an
    // administrator moved (an agency ended without successors), names who carries the task now.
    const theSuccessor = ended.successors.length === 1 && ended.successors[0]!.code === successor;
    return theSuccessor ? `${old} (nay là ${name})` : `${old} (nhiệm vụ nay do ${name} thực hiện)`;
  }
  return `${old} (${sinceEnded(registry, ended, asOf)})`;
}

/** What became of the agency whose record `ended` ended before `asOf`, as a parenthesis. */
function sinceEnded(registry: AgencyRegistry, ended: AgencyRecord, asOf: string): string {
  const chain: string[] = [];
  let record = ended;
  for (let hops = 0; hops <= registry.all().length; hops++) {
    const endDate = vietnameseDate(addDays(record.validTo!, 1));
    const later = chain.length ? `sau là ${chain.join(', sau là ')}, ` : '';
    if (record.successors.length === 0) return `${later}đã chấm dứt hoạt động từ ngày ${endDate}`;
    if (record.successors.length > 1) {
      const names = record.successors.map((s) => nameOn(registry, s.code, asOf));
      return `${later}nay chức năng, nhiệm vụ chuyển về ${joinVietnamese(names)}`;
    }
    const next = record.successors[0]!.code;
    if (registry.isValidOn(next, asOf)) {
      return `${later}nay là ${nameOn(registry, next, asOf)}`;
    }
    const nextEnded = registry.lastEndedBefore(next, asOf);
    if (!nextEnded || nextEnded.validTo! < record.validTo!) {
      return `${later}nay là ${nameOn(registry, next, asOf)}`;
    }
    chain.push(nameOn(registry, next, record.successors[0]!.date));
    record = nextEnded;
  }
  return `đã chấm dứt hoạt động từ ngày ${vietnameseDate(addDays(ended.validTo!, 1))}`;
}
