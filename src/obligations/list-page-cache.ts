/**
 * Encoded list pages (their UTF-8 bytes), keyed by the page's ETag. A list ETag covers all that
 * the page's text depends on (ObligationQueryService.listJson: the rows' identities and overdue
 * flags, the loaded plans, the caller, the page's tail and the process), so two pages with one
 * ETag have the same bytes, and a remembered page is always the page as it would be built now.
 * A hit skips joining the views and encoding some 40 KB of text.
 *
 * A page is remembered the second time its ETag is built soon after the first (SecondSight: a
 * crawl over a million rows reads each page once and leaves the remembered ones alone). Bounded
 * by bytes; the least recently used pages go first. Per process: nothing to invalidate, since
 * what a key matches never changes.
 */
import { SecondSight } from './second-sight.js';

/**
 * ETags remembered as built once, at most (forgotten all together when full). Small on purpose:
 * a page is remembered only if it is built again within the next few hundred pages built, so
 * pages read in no particular order (random positions over 10,000 rows or more) do not churn the
 * remembered ones, and the server does not hold 40 KB buffers that are dropped soon after.
 */
const SEEN_LIMIT = 256;

export class ListPageCache {
  private readonly pages = new Map<string, Buffer>();
  /** ETags built once and not remembered. */
  private readonly seen = new SecondSight(SEEN_LIMIT);
  private bytes = 0;
  /** Lookups answered and not (for the tests). */
  readonly stats = { hits: 0, misses: 0 };

  /** `maxBytes` 0 remembers nothing. */
  constructor(private readonly maxBytes: number) {}

  get(etag: string): Buffer | undefined {
    const page = this.pages.get(etag);
    if (page === undefined) {
      this.stats.misses += 1;
      return undefined;
    }
    this.stats.hits += 1;
    // Most recently used last.
    this.pages.delete(etag);
    this.pages.set(etag, page);
    return page;
  }

  /** The bytes of `json`, the page with this ETag; remembered if it was built before. */
  encode(etag: string, json: string): Buffer {
    const size = Buffer.byteLength(json);
    if (this.maxBytes <= 0 || size > this.maxBytes / 4) return Buffer.from(json);
    if (!this.seen.admit(etag)) return Buffer.from(json);
    // A buffer of its own: a small page cut from Node's shared pool would keep the whole 8 KB
    // slab alive for as long as it is remembered.
    const page = Buffer.allocUnsafeSlow(size);
    page.write(json);
    const old = this.pages.get(etag);
    if (old) this.bytes -= old.length;
    this.pages.set(etag, page);
    this.bytes += size;
    for (const [key, value] of this.pages) {
      if (this.bytes <= this.maxBytes) break;
      this.pages.delete(key);
      this.bytes -= value.length;
    }
    return page;
  }

  /** Pages remembered, and their bytes. */
  get size(): { pages: number; bytes: number } {
    return { pages: this.pages.size, bytes: this.bytes };
  }
}
