/**
 * Instants as ISO 8601 strings (UTC), both ways, memoised. The command path formats and parses
 * the same few instants over and over (every obligation of a cycle shares its due date and
 * opening time; a batch of commands shares its millisecond), and `Date#toISOString` and
 * `Date.parse` were among its larger costs (`npm run bench`). Formatting remembers the last
 * instant of each of `SLOTS` slots (by the instant's milliseconds modulo `SLOTS`): a lookup is
 * one comparison, and many distinct instants (a list of a million rows) only replace slots.
 * Parsing remembers the last string.
 */
const SLOTS = 1024;

const slotMs = new Float64Array(SLOTS).fill(Number.NaN);
const slotIso: string[] = new Array<string>(SLOTS).fill('');

/** `new Date(ms).toISOString()`. Throws a RangeError for an invalid time, as that does. */
export function isoInstant(ms: number): string {
  const slot = (((ms % SLOTS) + SLOTS) % SLOTS) | 0;
  if (slotMs[slot] === ms) return slotIso[slot]!;
  const iso = new Date(ms).toISOString();
  slotMs[slot] = ms;
  slotIso[slot] = iso;
  return iso;
}

let lastIso = '';
let lastMs = Number.NaN;

/** `Date.parse(iso)`: NaN for a string that is not a date, as that returns. */
export function parseInstant(iso: string): number {
  if (iso === lastIso) return lastMs;
  const ms = Date.parse(iso);
  lastIso = iso;
  lastMs = ms;
  return ms;
}
