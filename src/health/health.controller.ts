import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { EngineService } from '../engine/engine.service';
import { OpenAIErrorDto } from '../http/openai-error.dto';
import { ApiError } from '../http/openai-error';

@ApiTags('Health')
@SkipThrottle()
@Controller()
export class HealthController {
  constructor(private readonly engine: EngineService) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness', description: 'The process is up and serving HTTP.' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } } })
  alive(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The original service's health check path (its docker-compose probes it), so a deployment swaps in as is. */
  @Get('health')
  @ApiOperation({ summary: 'Liveness (original path)', description: 'As /healthz, at the path the original Audio Pollinations served.' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'alive' } } } })
  aliveAtOriginalPath(): { status: 'alive' } {
    return { status: 'alive' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness', description: 'Answers 200 once the models in PRELOAD_MODELS are loaded, 503 before.' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'ready' } } } })
  @ApiResponse({ status: 503, description: 'Still loading.', type: OpenAIErrorDto })
  ready(): { status: 'ready' } {
    if (!this.engine.isReady()) {
      throw new ApiError(503, 'The server is still loading its models.', 'server_error', null, 'not_ready', { 'retry-after': '1' });
    }
    return { status: 'ready' };
  }
}
