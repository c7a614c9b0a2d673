import { Module } from '@nestjs/common';
import { AudioCacheModule } from '../cache/audio-cache.module';
import { SpeechController } from './speech.controller';
import { SpeechService } from './speech.service';
import { VoicesModule } from '../voices/voices.module';

@Module({ imports: [VoicesModule, AudioCacheModule], controllers: [SpeechController], providers: [SpeechService] })
export class SpeechModule {}
