import { describe, expect, it } from '@jest/globals';
import { checkMetricsAccess, isLoopback } from '../../../src/metrics/metrics-access.js';

const codeOf = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('who may read /metrics', () => {
  it('recognises loopback addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(a)).toBe(true);
    }
    for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '2001:db8::1', '128.0.0.1', '', undefined]) {
      expect(isLoopback(a)).toBe(false);
    }
  });

  it('without a token: loopback clients only, and not through a proxy', () => {
    expect(codeOf(() => checkMetricsAccess(null, '127.0.0.1', {}))).toBeNull();
    expect(codeOf(() => checkMetricsAccess(null, '::1', {}))).toBeNull();
    expect(codeOf(() => checkMetricsAccess(null, '192.168.1.20', {}))).toBe('FORBIDDEN');
    expect(
      codeOf(() => checkMetricsAccess(null, '127.0.0.1', { 'x-forwarded-for': '203.0.113.7' })),
    ).toBe('FORBIDDEN');
    // A bearer token is no use when none is configured.
    expect(
      codeOf(() => checkMetricsAccess(null, '192.168.1.20', { authorization: 'Bearer x' })),
    ).toBe('FORBIDDEN');
  });

  it('with a token: the right bearer token from anywhere, nothing else', () => {
    const token = 'a'.repeat(40);
    expect(
      codeOf(() => checkMetricsAccess(token, '192.168.1.20', { authorization: `Bearer ${token}` })),
    ).toBeNull();
    expect(codeOf(() => checkMetricsAccess(token, '127.0.0.1', {}))).toBe('UNAUTHENTICATED');
    expect(
      codeOf(() => checkMetricsAccess(token, '127.0.0.1', { authorization: `Bearer ${token}b` })),
    ).toBe('UNAUTHENTICATED');
    expect(
      codeOf(() => checkMetricsAccess(token, '127.0.0.1', { authorization: `Basic ${token}` })),
    ).toBe('UNAUTHENTICATED');
  });
});
