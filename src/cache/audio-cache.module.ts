import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AudioCache } from './audio-cache';

/** The optional audio cache (AUDIO_CACHE_DIR); always provided, and a no-op while the setting is empty. */
@Module({
  providers: [
    {
      provide: AudioCache,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new AudioCache({
          dir: config.AUDIO_CACHE_DIR,
          retentionS: config.AUDIO_RETENTION_S,
          maxBytes: config.AUDIO_CACHE_MAX_BYTES,
          // No model request runs longer than this, so a temp file untouched for as long belongs to no live request.
          staleTempMs: config.REQUEST_TIMEOUT_MS,
        }),
    },
  ],
  exports: [AudioCache],
})
export class AudioCacheModule {}
