import { InitialSchema1732800000000 } from './1732800000000-initial-schema.js';

/** Every migration, oldest first. Both databases run the same list at start. */
export const MIGRATIONS = [InitialSchema1732800000000];
