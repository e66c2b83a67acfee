/**
 * Obligation views as JSON text, remembered for list pages. A view is a function of its row,
 * its loaded plan, `now` and the caller, and each of those enters the lookup through what the
 * view reads of it: the row through its id, `version` (every change of the row bumps it, the
 * machine migration included) and `machineVersion`; the plan through the loaded plan object (a
 * reload makes new ones); `now` only through `overdue`; the caller only through its event
 * audience (`allowedEvents`). So a remembered text is always the text `toView` would give now,
 * and a page is joined from texts instead of building and serialising 50 views.
 *
 * Bounded: texts of at most `maxObligations` obligations (about 1 KB each; DONDOC_VIEW_CACHE,
 * 0 turns it off); when full, the oldest tenth goes. Per process: nothing to invalidate across
 * replicas, since what a lookup matches never changes meaning.
 */
import { eventAudience } from '../core/access/caller.js';
import type { LoadedPlan } from '../plans/plan-registry.service.js';
import type { ObligationStamp } from './obligation.repository.js';
import { isOverdue, type Caller } from './obligation-view.js';
import { VIEW_CACHE_OBLIGATIONS } from '../config/app-config.js';

/** The texts of one obligation at one version, under one loaded plan, by variant. */
interface Entry {
  version: number;
  machineVersion: string;
  plan: LoadedPlan;
  texts: Map<string, string>;
}

/** Which text of an obligation's entry: its event audience and whether it is overdue now. */
function variantOf(o: ObligationStamp, now: number, caller: Caller): string {
  return `${eventAudience(caller, o.agencyCode)}|${isOverdue(o, now) ? 1 : 0}`;
}

export class ObligationViewCache {
  private readonly entries = new Map<string, Entry>();
  /** Lookups answered and not (for the tests). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(private readonly maxObligations = VIEW_CACHE_OBLIGATIONS) {}

  /** The remembered view text of `o` (a stamp or a full row) under `plan`, at `now`, for `caller`. */
  get(o: ObligationStamp, plan: LoadedPlan, now: number, caller: Caller): string | undefined {
    const entry = this.entries.get(o.id);
    const text =
      entry &&
      entry.version === o.version &&
      entry.machineVersion === o.machineVersion &&
      entry.plan === plan
        ? entry.texts.get(variantOf(o, now, caller))
        : undefined;
    if (text === undefined) this.stats.misses += 1;
    else this.stats.hits += 1;
    return text;
  }

  /** Remembers `text` as the view of `o` (its full row) under `plan`, at `now`, for `caller`. */
  set(o: ObligationStamp, plan: LoadedPlan, now: number, caller: Caller, text: string): void {
    if (this.maxObligations <= 0) return;
    let entry = this.entries.get(o.id);
    if (
      !entry ||
      entry.version !== o.version ||
      entry.machineVersion !== o.machineVersion ||
      entry.plan !== plan
    ) {
      // An older version's texts are never asked for again (versions only grow).
      if (!entry && this.entries.size >= this.maxObligations) this.evict();
      entry = { version: o.version, machineVersion: o.machineVersion, plan, texts: new Map() };
      this.entries.set(o.id, entry);
    }
    entry.texts.set(variantOf(o, now, caller), text);
  }

  /** Obligations with remembered texts. */
  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    let drop = Math.max(1, Math.floor(this.maxObligations / 10));
    for (const id of this.entries.keys()) {
      this.entries.delete(id);
      if (--drop === 0) break;
    }
  }
}
