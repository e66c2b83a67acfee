/**
 * Refuses a request whose path, query or JSON body contains U+0000. No field of dondoc may hold
 * it, and PostgreSQL cannot store it in text: answering 400 here keeps it out of every query.
 */
import type { NextFunction, Request, Response } from 'express';
import { ValidationError } from '../core/errors.js';
import { errorBody } from './error.filter.js';

function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const sub = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return sub;
    const found = findNul(v, sub, depth + 1);
    if (found) return found;
  }
  return null;
}

function decoded(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

export function rejectNul(req: Request, res: Response, next: NextFunction): void {
  const where = decoded(req.originalUrl).includes('\u0000') ? '(url)' : findNul(req.body, '');
  if (where === null) return next();
  const { statusCode, body } = errorBody(
    new ValidationError('The request contains a NUL character (U+0000)', [
      { path: where || '(body)', message: 'must not contain the NUL character' },
    ]),
  );
  res.status(statusCode).json(body);
}
