/**
 * The doorkeeper of the list caches (ObligationViewCache, ListPageCache): a key is admitted the
 * second time it is offered, if that is within the next `window` keys offered (the keys seen once
 * are forgotten all together when the window is full). Things read once, as a crawl over a
 * million rows reads them, then never displace what is read again and again.
 */
export class SecondSight {
  private readonly seen = new Set<string>();

  constructor(private readonly window: number) {}

  /** Whether `key` was offered before (and is not remembered as seen any more); else notes it. */
  admit(key: string): boolean {
    if (this.seen.delete(key)) return true;
    if (this.seen.size >= this.window) this.seen.clear();
    this.seen.add(key);
    return false;
  }
}
