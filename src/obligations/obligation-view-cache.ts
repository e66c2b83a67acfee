/**
 * Obligation views as JSON text, remembered for list pages. A view is a function of its row,
 * its loaded plan, `now` and the caller, and each of those enters the lookup through what the
 * view reads of it: the row through its id, `version` (every change of the row bumps it, the
 * machine migration included) and `machineVersion`; the plan through the loaded plan object (a
 * reload makes new ones); `now` only through `overdue`; the caller only through its event
 * audience (`allowedEvents`). So a remembered text is always the text `toView` would give now,
 * and a page is joined from texts instead of building and serialising 50 views.
 *
 * Bounded: texts of at most `maxObligations` obligations (about 1.6 KB each; DONDOC_VIEW_CACHE,
 * 0 turns it off); when full, the oldest tenth goes. Per process: nothing to invalidate across
 * replicas, since what a lookup matches never changes meaning.
 */
import { eventAudience } from '../core/access/caller.js';
import type { LoadedPlan } from '../plans/plan-registry.service.js';
import type { ObligationStamp } from './obligation.repository.js';
import { isOverdue, type Caller } from './obligation-view.js';
import { VIEW_CACHE_OBLIGATIONS } from '../config/app-config.js';
import { SecondSight } from './second-sight.js';

/** The text of one obligation at one version, under one loaded plan, for one variant. */
interface Entry {
  version: number;
  machineVersion: string;
  plan: LoadedPlan;
  variant: string;
  text: string;
}

/** Which text of an obligation: its event audience and whether it is overdue now. */
function variantOf(o: ObligationStamp, now: number, caller: Caller): string {
  return `${eventAudience(caller, o.agencyCode)}|${isOverdue(o, now) ? 1 : 0}`;
}

export class ObligationViewCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * Obligations whose view was built once and not remembered: a text is remembered the second
   * time it is built. Pages read once each (an export, a crawl, random access over a million
   * rows) then leave the remembered texts alone instead of churning them.
   */
  private readonly seen: SecondSight;
  /** Lookups answered and not (for the tests). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(private readonly maxObligations = VIEW_CACHE_OBLIGATIONS) {
    this.seen = new SecondSight(maxObligations);
  }

  /** The remembered view text of `o` (a stamp or a full row) under `plan`, at `now`, for `caller`. */
  get(o: ObligationStamp, plan: LoadedPlan, now: number, caller: Caller): string | undefined {
    const entry = this.entries.get(o.id);
    const text =
      entry &&
      entry.version === o.version &&
      entry.machineVersion === o.machineVersion &&
      entry.plan === plan &&
      entry.variant === variantOf(o, now, caller)
        ? entry.text
        : undefined;
    if (text === undefined) this.stats.misses += 1;
    else this.stats.hits += 1;
    return text;
  }

  /**
   * Offers `text` as the view of `o` (its full row) under `plan`, at `now`, for `caller`: kept
   * if the obligation is remembered already or was offered before (the newest variant wins).
   */
  set(o: ObligationStamp, plan: LoadedPlan, now: number, caller: Caller, text: string): void {
    if (this.maxObligations <= 0) return;
    const entry: Entry = {
      version: o.version,
      machineVersion: o.machineVersion,
      plan,
      variant: variantOf(o, now, caller),
      text,
    };
    if (this.entries.has(o.id)) {
      this.entries.set(o.id, entry);
      return;
    }
    if (!this.seen.admit(o.id)) return;
    if (this.entries.size >= this.maxObligations) this.evict();
    this.entries.set(o.id, entry);
  }

  /** Obligations with a remembered text. */
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
