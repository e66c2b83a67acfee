/** The acting user of a request. Until authentication lands, the configured local user. */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller } from '../obligations/obligation-view.js';

export const CurrentCaller = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Caller => {
    const req = ctx.switchToHttp().getRequest<{ caller?: Caller }>();
    return req.caller!;
  },
);
