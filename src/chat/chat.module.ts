import { Module } from '@nestjs/common';
import { VoicesModule } from '../voices/voices.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { UpstreamLlmClient } from './upstream-llm.client';
import { VoiceIoService } from './voice-io.service';

@Module({ imports: [VoicesModule], controllers: [ChatController], providers: [ChatService, UpstreamLlmClient, VoiceIoService], exports: [ChatService, UpstreamLlmClient, VoiceIoService] })
export class ChatModule {}
