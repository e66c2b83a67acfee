import { describe, expect, it } from '@jest/globals';
import { DomainError, ErrorCode } from '../../../src/core/errors.js';
import { databaseFault } from '../../../src/database/database-fault.js';
import { errorBody } from '../../../src/common/error.filter.js';

const err = (code: string | undefined, message = 'x') =>
  Object.assign(new Error(message), code ? { code } : {});
/** A TypeORM QueryFailedError keeps the driver's error in `driverError`. */
const wrapped = (driverError: Error) =>
  Object.assign(new Error(driverError.message), { driverError });

describe('database faults: which driver errors say the database cannot work now', () => {
  it.each([
    ['SQLITE_READONLY', 'DATABASE_READ_ONLY'],
    ['SQLITE_READONLY_DIRECTORY', 'DATABASE_READ_ONLY'],
    ['SQLITE_FULL', 'DATABASE_FULL'],
    ['SQLITE_BUSY', 'DATABASE_LOCKED'],
    ['SQLITE_BUSY_SNAPSHOT', 'DATABASE_LOCKED'],
    ['SQLITE_IOERR_WRITE', 'DATABASE_UNAVAILABLE'],
    ['ECONNREFUSED', 'DATABASE_UNAVAILABLE'],
    ['ECONNRESET', 'DATABASE_UNAVAILABLE'],
    ['57P01', 'DATABASE_UNAVAILABLE'],
    ['08006', 'DATABASE_UNAVAILABLE'],
    ['53300', 'DATABASE_UNAVAILABLE'],
  ])('%s → %s, also inside a TypeORM wrapper', (code, expected) => {
    expect(databaseFault(err(code))?.code).toBe(expected);
    expect(databaseFault(wrapped(err(code)))?.code).toBe(expected);
  });

  it.each([
    'Connection terminated unexpectedly',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
  ])('node-postgres without a code: "%s" → DATABASE_UNAVAILABLE', (message) => {
    expect(databaseFault(err(undefined, message))?.code).toBe('DATABASE_UNAVAILABLE');
  });

  it.each([['SQLITE_CONSTRAINT_UNIQUE'], ['23505'], ['42P01'], ['40001']])(
    '%s is not a fault: left as it is',
    (code) => {
      expect(databaseFault(err(code))).toBeNull();
      expect(databaseFault(new DomainError(ErrorCode.VERSION_CONFLICT, 'stale'))).toBeNull();
    },
  );

  it('answers: 503 with Retry-After, 507 without; the driver text never reaches the body', () => {
    const unavailable = errorBody(
      wrapped(err('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432')),
    );
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers).toEqual({ 'Retry-After': '5' });
    expect(unavailable.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(JSON.stringify(unavailable.body)).not.toMatch(/10\.0\.0\.5|ECONNREFUSED/);
    expect(errorBody(err('SQLITE_BUSY')).headers).toEqual({ 'Retry-After': '2' });
    expect(errorBody(err('SQLITE_READONLY'))).toMatchObject({ statusCode: 503 });
    const full = errorBody(err('SQLITE_FULL', 'database or disk is full'));
    expect(full).toMatchObject({ statusCode: 507, headers: {} });
    expect(errorBody(new Error('a bug'))).toMatchObject({ statusCode: 500, headers: {} });
  });
});
