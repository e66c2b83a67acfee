/**
 * The web interface: static files from `web/` (HTML, CSS and ES modules, no build step) served at
 * `/` by the same Express instance as the API, under a strict Content Security Policy.
 */
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import helmet from 'helmet';
import { PACKAGE_ROOT } from '../config/app-config.js';

/** Folder of the web interface's files (beside `workflows/`, so the same from src/ and dist/). */
export const WEB_ROOT = path.join(PACKAGE_ROOT, 'web');

/**
 * Same-origin only: no inline script or style, no CDN, no frames. `upgrade-insecure-requests` is
 * left out on purpose: intranet deployments often serve plain HTTP on a private address, where
 * upgrading the page's own requests to HTTPS would break it.
 */
export const WEB_CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
} as const;

/**
 * helmet for every response: the strict policy above, except on the OpenAPI page, whose
 * generated HTML carries inline styles and keeps helmet's default policy.
 */
export function securityHeaders(): RequestHandler {
  const strict = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: WEB_CSP_DIRECTIVES },
  });
  const docs = helmet();
  return (req: Request, res: Response, next: NextFunction) =>
    (req.path === '/api/docs' || req.path.startsWith('/api/docs/') ? docs : strict)(req, res, next);
}

/**
 * Serves `web/` at `/` (index.html for `/`). Requests under `/api` (and `/metrics`) never reach
 * the files: they skip the static middleware, which would otherwise look for each of them on disk
 * (an `fs.stat` per API request) before passing it on, and an unknown API path still gets the
 * JSON 404 of the error filter.
 */
export function serveWebInterface(app: NestExpressApplication): void {
  const files = express.static(WEB_ROOT, {
    index: 'index.html',
    // Revalidate on every load (ETag): a new release is picked up without a stale module graph.
    maxAge: 0,
    setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
  });
  app.use((req: Request, res: Response, next: NextFunction) =>
    isApiPath(req.path) ? next() : files(req, res, next),
  );
}

/** `/api`, `/api/…` and `/metrics`: the server's own routes, never files. */
export function isApiPath(p: string): boolean {
  return p === '/api' || p.startsWith('/api/') || p === '/metrics';
}
