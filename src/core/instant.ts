/**
 * Instants as ISO 8601 strings (UTC), both ways, memoised. The command path formats and parses
 * the same few instants over and over (every obligation of a cycle shares its due date and
 * opening time; a batch of commands shares its millisecond), and `Date#toISOString` and
 * `Date.parse` were among its larger costs (`npm run bench`). Each cache holds at most
 * `CACHE_SIZE` entries and starts again when full.
 */
const CACHE_SIZE = 4096;

const formatted = new Map<number, string>();
const parsed = new Map<string, number>();

/** `new Date(ms).toISOString()`. Throws a RangeError for an invalid time, as that does. */
export function isoInstant(ms: number): string {
  let iso = formatted.get(ms);
  if (iso === undefined) {
    iso = new Date(ms).toISOString();
    if (formatted.size >= CACHE_SIZE) formatted.clear();
    formatted.set(ms, iso);
  }
  return iso;
}

/** `Date.parse(iso)`: NaN for a string that is not a date, as that returns. */
export function parseInstant(iso: string): number {
  let ms = parsed.get(iso);
  if (ms === undefined) {
    ms = Date.parse(iso);
    if (parsed.size >= CACHE_SIZE) parsed.clear();
    parsed.set(iso, ms);
  }
  return ms;
}
