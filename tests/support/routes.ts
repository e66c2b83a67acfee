/**
 * Which HTTP routes the application registers, read from its controllers' decorator metadata
 * without starting anything. Lets a suite tell "this route is not merged yet" from "it is broken".
 */
import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { AppModule } from '../../src/app.module.js';
import { loadConfig } from '../../src/config/app-config.js';

// Metadata keys of @nestjs/common (constants PATH_METADATA, METHOD_METADATA).
const PATH = 'path';
const METHOD = 'method';
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD'];

type Controller = Type<unknown>;

function controllersOf(
  mod: DynamicModule | Type<unknown>,
  seen = new Set<unknown>(),
): Controller[] {
  if (!mod || seen.has(mod)) return [];
  seen.add(mod);
  const dynamic = typeof mod === 'object' ? mod : null;
  const cls = (dynamic ? dynamic.module : mod) as Controller;
  const own = [
    ...((Reflect.getMetadata('controllers', cls) as Controller[] | undefined) ?? []),
    ...((dynamic?.controllers as Controller[] | undefined) ?? []),
  ];
  const imports = [
    ...((Reflect.getMetadata('imports', cls) as unknown[] | undefined) ?? []),
    ...(dynamic?.imports ?? []),
  ];
  return [
    ...own,
    ...imports.flatMap((m) => controllersOf(m as DynamicModule | Type<unknown>, seen)),
  ];
}

const join = (...parts: string[]) =>
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');

/** `METHOD path` of every route, without the global `api` prefix, e.g. `GET plans/:planId`. */
export function registeredRoutes(): string[] {
  const routes: string[] = [];
  for (const controller of controllersOf(
    AppModule.register(loadConfig({}), { scheduler: false }),
  )) {
    const base = String(Reflect.getMetadata(PATH, controller) ?? '');
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD, handler) as number | undefined;
      if (method === undefined) continue;
      const paths = ([] as string[]).concat(Reflect.getMetadata(PATH, handler) ?? '');
      for (const p of paths) routes.push(`${METHODS[method]} ${join(base, p)}`);
    }
  }
  return routes;
}

/** Whether `METHOD path` is registered (path without the `api` prefix, parameters as `:name`). */
export function hasRoute(method: string, path: string): boolean {
  const wanted = `${method} ${join(path)}`.replace(/:[A-Za-z]+/g, ':_');
  return registeredRoutes().some((r) => r.replace(/:[A-Za-z]+/g, ':_') === wanted);
}
