/** The working-day calendar, loaded once at start from `workflows/calendar/` and validated. */
import type { Provider } from '@nestjs/common';
import { loadCalendar } from './calendar-loader.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export const CALENDAR = Symbol('CALENDAR');

export const calendarProvider: Provider = {
  provide: CALENDAR,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => loadCalendar(config.calendarDir),
};
