import { Module } from '@nestjs/common';
import { VoicesModule } from '../voices/voices.module';
import { CatalogController } from './catalog.controller';

@Module({ imports: [VoicesModule], controllers: [CatalogController] })
export class CatalogModule {}
