/**
 * Who may read `/metrics`. The figures are operational (no personal data) but reveal activity per
 * plan, so they are not public:
 * - with `DONDOC_METRICS_TOKEN` set, a client anywhere with `Authorization: Bearer <token>`;
 * - without it, only a client on the loopback interface, and only when the request was not
 *   relayed by a proxy on the same host (a `Forwarded`, `X-Forwarded-For` or `X-Real-IP`
 *   header), since a reverse proxy would otherwise make every outside client look local.
 * Pure: the caller passes the address and headers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { DomainError, ErrorCode } from '../core/errors.js';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Throws UNAUTHENTICATED or FORBIDDEN, saying how to get access, when the request may not read. */
export function checkMetricsAccess(
  token: string | null,
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders,
): void {
  if (token !== null) {
    const match = /^Bearer (\S+)$/.exec(headers.authorization ?? '');
    if (!match || !sameSecret(match[1]!, token)) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'Metrics need Authorization: Bearer <DONDOC_METRICS_TOKEN>',
        { reason: match ? 'wrong token' : 'no token' },
      );
    }
    return;
  }
  if (!isLoopback(remoteAddress) || PROXY_HEADERS.some((h) => headers[h] !== undefined)) {
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      'Metrics are served only to loopback clients; set DONDOC_METRICS_TOKEN to scrape from elsewhere',
    );
  }
}
