/**
 * The working-day calendar, loaded once at start from `workflows/calendar/` and validated. A broken
 * calendar does not stop the start here: its problems are handed to PlanRegistry.load, which lists
 * them together with those of the agency registries and plans (one start names every problem).
 */
import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { createVietnamCalendar } from '../core/calendar/vietnam-calendar.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { AggregateDefinitionError, type DefinitionError } from '../core/errors.js';
import { DATE_HOLIDAYS_VERSION, loadCalendar } from './calendar-loader.js';

export const CALENDAR = Symbol('CALENDAR');
/** The calendar files' problems (empty when they are valid): `DefinitionError[]`. */
export const CALENDAR_PROBLEMS = Symbol('CALENDAR_PROBLEMS');
const CALENDAR_LOAD = Symbol('CALENDAR_LOAD');

interface CalendarLoad {
  calendar: WorkingCalendar;
  problems: DefinitionError[];
}

export const calendarProviders: Provider[] = [
  {
    provide: CALENDAR_LOAD,
    inject: [APP_CONFIG],
    useFactory: async (config: AppConfig): Promise<CalendarLoad> => {
      try {
        return { calendar: await loadCalendar(config.calendarDir), problems: [] };
      } catch (error) {
        if (!(error instanceof AggregateDefinitionError)) throw error;
        // Never used: the start stops once the plans are loaded.
        const calendar = createVietnamCalendar([], { holidaysVersion: DATE_HOLIDAYS_VERSION });
        return { calendar, problems: error.errors };
      }
    },
  },
  { provide: CALENDAR, inject: [CALENDAR_LOAD], useFactory: (l: CalendarLoad) => l.calendar },
  {
    provide: CALENDAR_PROBLEMS,
    inject: [CALENDAR_LOAD],
    useFactory: (l: CalendarLoad) => l.problems,
  },
];
