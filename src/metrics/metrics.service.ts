import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const RATIO_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/**
 * Every Prometheus metric the server exports, on a registry of its own (several servers can share a process, as
 * the tests do). Labels carry model ids only once the registry knows them, so clients cannot grow the series.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'ap_http_requests_total',
    help: 'HTTP requests by route, method, status and model.',
    labelNames: ['route', 'method', 'status', 'model'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'ap_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by route.',
    labelNames: ['route', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'ap_queue_depth', help: 'Requests waiting for a worker, per device.', labelNames: ['device'] as const, registers: [this.registry] });
  readonly queueWait = new Histogram({
    name: 'ap_queue_wait_seconds',
    help: 'Time a request waited for a worker, per device.',
    labelNames: ['device'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({ name: 'ap_in_flight', help: 'Requests running on a worker, per device.', labelNames: ['device'] as const, registers: [this.registry] });
  readonly workers = new Gauge({ name: 'ap_workers', help: 'Inference worker threads per device.', labelNames: ['device'] as const, registers: [this.registry] });
  readonly workerRestarts = new Counter({
    name: 'ap_worker_restarts_total',
    help: 'Inference workers replaced after a crash, exit or termination.',
    labelNames: ['device'] as const,
    registers: [this.registry],
  });
  readonly modelLoads = new Counter({ name: 'ap_model_loads_total', help: 'Model loads into a worker.', labelNames: ['device', 'model'] as const, registers: [this.registry] });
  readonly modelUnloads = new Counter({
    name: 'ap_model_unloads_total',
    help: 'Models unloaded from a worker after idling past MODEL_TTL_S.',
    labelNames: ['device', 'model'] as const,
    registers: [this.registry],
  });
  readonly modelLoadSeconds = new Histogram({
    name: 'ap_model_load_seconds',
    help: 'Time to load a model into a worker.',
    labelNames: ['device', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly audioIn = new Counter({ name: 'ap_audio_input_seconds_total', help: 'Seconds of audio transcribed or translated.', labelNames: ['model'] as const, registers: [this.registry] });
  readonly audioOut = new Counter({ name: 'ap_audio_output_seconds_total', help: 'Seconds of speech produced.', labelNames: ['model'] as const, registers: [this.registry] });
  readonly realTimeFactor = new Histogram({
    name: 'ap_real_time_factor',
    help: 'Processing time divided by audio duration (below 1 is faster than real time).',
    labelNames: ['model', 'task'] as const,
    buckets: RATIO_BUCKETS,
    registers: [this.registry],
  });
  readonly timeToFirstAudio = new Histogram({
    name: 'ap_speech_time_to_first_audio_seconds',
    help: 'Time from a speech request to its first audio, per model.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ap_process_' });
  }
}
