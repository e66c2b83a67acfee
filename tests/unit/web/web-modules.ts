/**
 * Loads the web interface's browser modules (plain ES modules under web/js) in Node for unit
 * tests. They are JavaScript without declarations, so they are typed here by hand.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const load = (name: string): Promise<unknown> =>
  import(pathToFileURL(path.resolve('web/js', name)).href);

export interface FormatModule {
  formatDate(instant: string | Date): string;
  formatDateTime(instant: string | Date): string;
  formatCivilDate(civil: string): string;
  civilDateOf(instant: string | Date): string | null;
  parseVietnameseDate(text: string): string | null;
  parseTimeOfDay(text: string): number | null;
  instantAt(civil: string, minutes?: number): string;
  endOfDay(civil: string): string;
  daysToDeadline(dueAt: string, now: string): number;
  describeDaysLeft(days: number): string;
  formatPercent(ratio: number): string;
}

export interface Machine {
  initial: string;
  stages: Array<{
    name: string;
    final: boolean;
    on: Array<{ event: string; target: string | null }>;
  }>;
}

export interface LayoutModule {
  layoutMachine(machine: Machine): {
    columns: string[][];
    sinks: string[];
    edges: Array<{ from: string; to: string; events: string[]; kind: string }>;
  };
  mainStages(machine: Machine): string[];
}

export interface ApiModule {
  CONFLICT_MESSAGE: string;
  messageFor(
    status: number,
    body: unknown,
    headers?: { get(name: string): string | null } | null,
    options?: { login?: boolean },
  ): string;
}

export const formatModule = () => load('format.js') as Promise<FormatModule>;
export const layoutModule = () => load('lifecycle-layout.js') as Promise<LayoutModule>;
export const apiModule = () => load('api.js') as Promise<ApiModule>;
