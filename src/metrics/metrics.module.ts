import { DynamicModule, Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** The registry is always there (the engine records into it); the /metrics route only when METRICS_ENABLED. */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(serveRoute: boolean): DynamicModule {
    return {
      module: MetricsModule,
      providers: [MetricsService],
      controllers: serveRoute ? [MetricsController] : [],
      exports: [MetricsService],
    };
  }
}
