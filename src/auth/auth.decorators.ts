import { SetMetadata } from '@nestjs/common';
import type { Role } from '../core/access/caller.js';

export const PUBLIC_KEY = 'dondoc:public';
export const ROLES_KEY = 'dondoc:roles';

/** The route needs no token. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Only these roles may call the route (others get 403). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
