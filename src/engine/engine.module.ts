import { Global, Logger, Module } from '@nestjs/common';
import type { DescribeContext, PluginLogger } from '../../plugins/sdk';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AudioService } from './audio.service';
import { EngineService, MODEL_REGISTRY, PLUGIN_CONTEXT } from './engine.service';
import { ModelRegistry } from './model-registry';
import { loadPlugins } from './plugin-loader';

function pluginLogger(): PluginLogger {
  const logger = new Logger('Plugin');
  const line = (message: string, fields?: Record<string, unknown>) => (fields ? `${message} ${JSON.stringify(fields)}` : message);
  return {
    debug: (message, fields) => logger.debug(line(message, fields)),
    info: (message, fields) => logger.log(line(message, fields)),
    warn: (message, fields) => logger.warn(line(message, fields)),
    error: (message, fields) => logger.error(line(message, fields)),
  };
}

/** Plugins, the model registry, the engine and the audio codecs: everything below the HTTP layer. */
@Global()
@Module({
  providers: [
    {
      provide: PLUGIN_CONTEXT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): DescribeContext => ({ modelsDir: config.MODELS_DIR, log: pluginLogger() }),
    },
    {
      provide: MODEL_REGISTRY,
      inject: [APP_CONFIG, PLUGIN_CONTEXT],
      useFactory: (config: AppConfig, context: DescribeContext) =>
        ModelRegistry.build(loadPlugins(config.PLUGIN_DIRS, config.PLUGINS), context, config.ALIASES),
    },
    EngineService,
    AudioService,
  ],
  exports: [EngineService, AudioService],
})
export class EngineModule {}
