import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { GenerateController } from './generate.controller';
import { GenerateService } from './generate.service';

@Module({ imports: [ChatModule], controllers: [GenerateController], providers: [GenerateService] })
export class GenerateModule {}
