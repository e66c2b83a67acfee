/** Argument parsers for commander: each rejects a bad value with a one-line reason (exit 2). */
import { InvalidArgumentError } from 'commander';

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected an integer, got ${JSON.stringify(value)}.`);
  }
  return n;
}

export function parseYear(value: string): number {
  const n = parseInteger(value);
  if (n < 1900 || n > 9999) {
    throw new InvalidArgumentError(`expected a year from 1900 to 9999, got ${value}.`);
  }
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got ${value}.`);
  return n;
}

export function parseBoolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`expected "true" or "false", got ${JSON.stringify(value)}.`);
}

/** A JSON object (not an array, not null, not a scalar). */
export function parseJsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`expected valid JSON: ${(error as Error).message}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    throw new InvalidArgumentError(
      `expected a JSON object such as '{"key":"value"}', got ${kind}.`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** A real civil date YYYY-MM-DD (e.g. 2025-03-01). */
export function parseCivilDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const real =
    m !== null &&
    (() => {
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const t = new Date(Date.UTC(y, mo - 1, d));
      return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
    })();
  if (!real) {
    throw new InvalidArgumentError(
      `expected a real civil date YYYY-MM-DD such as 2025-03-01, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
