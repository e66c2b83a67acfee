/**
 * The server's first check, before anything else starts: the calendar files, the agency
 * registries and the plans are all read and validated, and every problem of every file is
 * reported at once (one AggregateDefinitionError), so that one start lists everything to fix.
 * The application loads the same files again afterwards; this adds a few milliseconds.
 */
import { AgencyRegistryService } from '../agencies/agency-registry.service.js';
import { DATE_HOLIDAYS_VERSION, loadCalendarYears } from '../calendar/calendar-loader.js';
import type { AppConfig } from '../config/app-config.js';
import { createVietnamCalendar } from '../core/calendar/vietnam-calendar.js';
import { AggregateDefinitionError, type DefinitionError } from '../core/errors.js';
import { PlanRegistry } from './plan-registry.service.js';

/** Throws one AggregateDefinitionError naming every problem (file and path or line) of every file. */
export async function checkDefinitions(config: AppConfig): Promise<void> {
  const errors: DefinitionError[] = [];
  const collect = (error: unknown) => {
    if (!(error instanceof AggregateDefinitionError)) throw error;
    errors.push(...error.errors);
  };
  await loadCalendarYears(config.calendarDir).catch(collect);
  // Plans do not need the calendar to validate: an empty one stands in.
  const calendar = createVietnamCalendar([], { holidaysVersion: DATE_HOLIDAYS_VERSION });
  await new PlanRegistry(config, calendar, new AgencyRegistryService(config)).load().catch(collect);
  if (errors.length > 0) throw new AggregateDefinitionError(errors);
}
