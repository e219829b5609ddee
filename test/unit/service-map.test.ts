import { failingDependency, spansFail, type EndpointSpans } from '../../src/analysis/investigator/service-map';

const T = Date.parse('2026-12-07T14:00:00Z');
const failing = (service: string, beganS: number, resource = 'GET /'): EndpointSpans => ({
  service,
  resource,
  failing: true,
  errorsBegan: T + beganS * 1000,
});
const healthy = (service: string): EndpointSpans => ({ service, resource: 'GET /', failing: false });

// web → api → (db, cache); api → auth → auth-db
const MAP = { web: ['api'], api: ['db', 'cache', 'auth'], auth: ['auth-db'], db: [], cache: [], 'auth-db': [] };

describe('the failing dependency the service map points at', () => {
  it('is the deepest failing service below the alerting one when its failures began first', () => {
    const spans = [failing('web', 20), failing('api', 10), failing('db', 0), healthy('cache'), healthy('auth')];
    expect(failingDependency('web', MAP, spans)).toEqual({ service: 'db', depth: 2, path: ['web', 'api', 'db'], errorsBegan: T });
  });

  it('follows the chain to the bottom: a failing dependency of a failing dependency wins over it', () => {
    const spans = [failing('web', 30), failing('api', 20), failing('auth', 10), failing('auth-db', 10), healthy('db')];
    expect(failingDependency('web', MAP, spans)?.service).toBe('auth-db');
  });

  it('takes the earlier of two failing leaves, then the deeper when they began together', () => {
    expect(failingDependency('web', MAP, [failing('api', 30), failing('cache', 5), failing('auth-db', 10)])?.service).toBe('cache');
    expect(failingDependency('web', MAP, [failing('api', 30), failing('cache', 10), failing('auth-db', 10)])?.service).toBe('auth-db');
  });

  it('names no candidate when a service above failed before the deepest one (the failure did not climb from below)', () => {
    expect(failingDependency('web', MAP, [failing('api', 0), failing('db', 40)])).toBeUndefined();
  });

  it('names no candidate when nothing below the alerting service fails, or the alerting service is not on the map', () => {
    expect(failingDependency('web', MAP, [failing('web', 0), healthy('api')])).toBeUndefined();
    expect(failingDependency('db', MAP, [failing('db', 0)])).toBeUndefined();
    expect(failingDependency('unknown', MAP, [failing('db', 0)])).toBeUndefined();
  });

  it('ignores failing services the alerting one does not reach', () => {
    expect(failingDependency('auth', MAP, [failing('db', 0), failing('auth-db', 10)])?.service).toBe('auth-db');
  });

  it('survives a cycle in the map', () => {
    const cyclic = { a: ['b'], b: ['c'], c: ['a'] };
    expect(failingDependency('a', cyclic, [failing('b', 5), failing('c', 0)])?.service).toBe('c');
  });
});

describe('failing spans', () => {
  it('need 1 % errors and three times the baseline share', () => {
    // An endpoint that never erred and now fails one call in fifty is failing.
    expect(spansFail(1010, 19, 0)).toBe(true);
    expect(spansFail(1000, 9, 0)).toBe(false);
    expect(spansFail(100, 20, 0.1)).toBe(false);
    expect(spansFail(100, 31, 0.1)).toBe(true);
    expect(spansFail(0, 0, 0)).toBe(false);
  });
});
