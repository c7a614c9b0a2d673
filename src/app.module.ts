import { DynamicModule, Global, Module } from '@nestjs/common';
import { CatalogModule } from './catalog/catalog.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { EngineModule } from './engine/engine.module';
import { HealthModule } from './health/health.module';
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
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), MetricsModule.forRoot(config.METRICS_ENABLED), EngineModule, VoicesModule, SpeechModule, TranscriptionModule, CatalogModule, HealthModule],
    };
  }
}
