/** The LifecycleService, global so schedulers, health and metrics share the one instance. */
import { Global, Module } from '@nestjs/common';
import { LifecycleService } from './lifecycle.service.js';

@Global()
@Module({ providers: [LifecycleService], exports: [LifecycleService] })
export class LifecycleModule {}
