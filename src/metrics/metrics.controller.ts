import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OpenAIErrorDto } from '../http/openai-error.dto';
import { SkipThrottle } from '@nestjs/throttler';
import { MetricsService } from './metrics.service';

@ApiTags('Health')
@SkipThrottle()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Requests by route, model and status; latency; queue depth and wait, in-flight work and worker restarts per device; model loads and unloads; audio seconds in and out; real-time factor; time to first audio.',
  })
  @ApiBearerAuth()
  @ApiResponse({ status: 401, description: 'API keys are configured and /metrics is not in PUBLIC_PATHS: send the key.', type: OpenAIErrorDto })
  @ApiOkResponse({ description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
