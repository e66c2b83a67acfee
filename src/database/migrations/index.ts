import { InitialSchema1732800000000 } from './1732800000000-initial-schema.js';
import { Users1732900000000 } from './1732900000000-users.js';
import { TimersAndOutbox1733000000000 } from './1733000000000-timers-and-outbox.js';
import { TimerLookupIndex1733100000000 } from './1733100000000-timer-lookup-index.js';
import { HashChains1733200000000 } from './1733200000000-hash-chains.js';
import { Checkpoints1733300000000 } from './1733300000000-checkpoints.js';
import { ObligationOriginAgency1733400000000 } from './1733400000000-obligation-origin-agency.js';
import { ConsolidatedReport1733500000000 } from './1733500000000-consolidated-report.js';
import { OperationsIndexes1733450000000 } from './1733450000000-operations-indexes.js';
import { ListIndexes1733600000000 } from './1733600000000-list-indexes.js';

/** Every migration, oldest first. Both databases run the same list at start. */
export const MIGRATIONS = [
  InitialSchema1732800000000,
  Users1732900000000,
  TimersAndOutbox1733000000000,
  TimerLookupIndex1733100000000,
  HashChains1733200000000,
  Checkpoints1733300000000,
  ObligationOriginAgency1733400000000,
  OperationsIndexes1733450000000,
  ConsolidatedReport1733500000000,
  ListIndexes1733600000000,
];
