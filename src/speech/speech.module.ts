import { Module } from '@nestjs/common';
import { SpeechController } from './speech.controller';
import { SpeechService } from './speech.service';
import { VoicesModule } from '../voices/voices.module';

@Module({ imports: [VoicesModule], controllers: [SpeechController], providers: [SpeechService] })
export class SpeechModule {}
