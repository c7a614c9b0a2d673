import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { CatalogModule } from './catalog/catalog.module';
import { ChatModule } from './chat/chat.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { EngineModule } from './engine/engine.module';
import { GenerateModule } from './generate/generate.module';
import { HealthModule } from './health/health.module';
import { RateLimitModule } from './security/rate-limit.module';
import { MetricsModule } from './metrics/metrics.module';
import { SpeechModule } from './speech/speech.module';
import { TranscriptionModule } from './transcription/transcription.module';
import { VoicesModule } from './voices/voices.module';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // Provides nestjs-pino's Logger for Nest. Its request middleware is not mounted (forRoutes: none): createApp mounts
        // pino-http and the request context ahead of everything, auth included, as plain middleware. (Nest's own
        // middleware would also register catch-all routes that the 405 Allow lookup would mistake for endpoints.)
        LoggerModule.forRoot({ pinoHttp: { logger: log }, useExisting: true, forRoutes: [] }),
        RateLimitModule.forRoot(config, log),
        MetricsModule.forRoot(config.METRICS_ENABLED), EngineModule, VoicesModule, SpeechModule, TranscriptionModule, ChatModule, GenerateModule, CatalogModule, HealthModule,
      ],
    };
  }
}
