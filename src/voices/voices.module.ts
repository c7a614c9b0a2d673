import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { VoicesController } from './voices.controller';
import { VoicesService } from './voices.service';

@Module({
  imports: [
    // In memory, never on disk: a rejected clip leaves nothing behind. Sizes above VOICE_MAX_BYTES (up to the
    // general upload cap) are refused by the service with a message about voices.
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        limits: { fileSize: Math.max(config.MAX_UPLOAD_BYTES, config.VOICE_MAX_BYTES), files: 1, fields: 16, fieldSize: 64 * 1024, parts: 20 },
      }),
    }),
  ],
  controllers: [VoicesController],
  providers: [VoicesService],
  exports: [VoicesService],
})
export class VoicesModule {}
