/**
 * Chatterbox benchmark on generated Turbo exports (`npm run bench:chatterbox`). Prints figures, asserts nothing.
 *
 * - Direct: the plugin's loop in this process on onnxruntime-node (no worker, no HTTP): ms per LM step, prefill ms,
 *   decoder ms per second of audio, time to first audio, × real time.
 * - Server: the same model through the HTTP API (worker thread, streaming encoder, pcm): time to first byte,
 *   total, × real time, and the ratio server / direct.
 *
 * BENCH_DIMS=real (default) uses the public Turbo LM's dimensions (GPT-2 medium: 24 layers, 1024 wide, 16 × 64 heads;
 * encoder and decoder are small stand-ins, so decoder figures are the stand-in's, not S3Gen's); BENCH_DIMS=test the
 * tiny test model. BENCH_TOKENS speech tokens per sentence (default 150 = 6 s); BENCH_KV=float16 for fp16 caches.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import chatterboxPlugin from '../plugins/chatterbox/plugin';
import type { PluginContext } from '../plugins/sdk';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { sessionFactory } from '../src/engine/worker/sessions';
import { CHATTERBOX_REAL_DIMS, CHATTERBOX_TEST_DIMS, pcm16Wav, SAMPLE_RATE, STOP_SPEECH_TOKEN, voiceLikeClip, writeChatterboxFixture } from '../test/fixtures/chatterbox/generate-chatterbox';

const DIMS = process.env.BENCH_DIMS === 'test' ? CHATTERBOX_TEST_DIMS : CHATTERBOX_REAL_DIMS.turbo;
const TOKENS = Number(process.env.BENCH_TOKENS ?? 150);
const KV = process.env.BENCH_KV === 'float16' ? 'float16' : 'float32';
const MODEL = 'chatterbox-turbo-bench';
const TEXT = 'The quick brown fox jumps over the lazy dog.';
const log = { debug() {}, info() {}, warn() {}, error() {} };

function timed(session: ort.InferenceSession, into: number[]): void {
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
  (session as { run: unknown }).run = async (...args: unknown[]) => {
    const started = performance.now();
    try {
      return await run(...args);
    } finally {
      into.push(performance.now() - started);
    }
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const fmt = (value: number, digits = 1) => value.toFixed(digits);

async function direct(modelsDir: string, threads: number) {
  const lm: number[] = [];
  const decoder: number[] = [];
  const open = sessionFactory({ executionProviders: [{ name: 'cpu' }], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const context: PluginContext = {
    modelsDir,
    log,
    device: { id: 'cpu', kind: 'cpu', index: 0 },
    async createSession(model, overrides) {
      const session = await open(model, overrides);
      if (session.inputNames.includes('inputs_embeds')) timed(session, lm);
      if (session.inputNames.includes('speech_tokens')) timed(session, decoder);
      return session;
    },
  };
  const manifest = await chatterboxPlugin.describe({ modelsDir, log });
  const instance = await chatterboxPlugin.create(context, manifest.models.find((model) => model.id === MODEL)!);
  const embedding = await instance.voiceCloning!.embed({ samples: voiceLikeClip(8, 3), sampleRate: SAMPLE_RATE }, new AbortController().signal);
  const request = { model: MODEL, input: TEXT, voice: 'bench', speed: 1, extra: {}, customVoice: { id: 'bench', name: 'bench', embedding } };
  // Warm-up (first runs allocate and optimize).
  for await (const chunk of instance.speech!.synthesize(request, new AbortController().signal)) void chunk;
  lm.length = 0;
  decoder.length = 0;
  const started = performance.now();
  let first = 0;
  let samples = 0;
  for await (const chunk of instance.speech!.synthesize(request, new AbortController().signal)) {
    if (samples === 0) first = performance.now() - started;
    samples += chunk.samples.length;
  }
  const total = performance.now() - started;
  await instance.dispose?.();
  const seconds = samples / SAMPLE_RATE;
  return { prefill: lm[0], step: mean(lm.slice(1)), steps: lm.length, decoderPerSecond: decoder.reduce((a, b) => a + b, 0) / seconds, first, total, seconds };
}

async function server(modelsDir: string, voicesDir: string) {
  const app = await createApp(loadConfig({ LOG_LEVEL: 'error', MODELS_DIR: modelsDir, VOICES_DIR: voicesDir, PRELOAD_MODELS: MODEL, WORKERS_PER_DEVICE: '1', ALIASES: `tts-1-hd=${MODEL}` }), { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  try {
    while ((await fetch(`${url}/readyz`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    const form = new FormData();
    form.append('name', 'bench');
    form.append('consent', 'bench');
    form.append('audio_sample', new Blob([new Uint8Array(pcm16Wav(voiceLikeClip(8, 3)))]), 'bench.wav');
    const voice = (await (await fetch(`${url}/v1/audio/voices`, { method: 'POST', body: form })).json()) as { id: string };
    const speak = async () => {
      const started = performance.now();
      const response = await fetch(`${url}/v1/audio/speech`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, voice: { id: voice.id }, input: TEXT, response_format: 'pcm' }),
      });
      const reader = response.body!.getReader();
      let first = 0;
      let bytes = 0;
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        if (bytes === 0) first = performance.now() - started;
        bytes += next.value.length;
      }
      return { first, total: performance.now() - started, seconds: bytes / 2 / SAMPLE_RATE };
    };
    await speak(); // warm-up
    return await speak();
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-chatterbox-'));
  try {
    const started = performance.now();
    const script = [...Array.from({ length: TOKENS }, (_, i) => 100 + ((i * 53) % 6000)), STOP_SPEECH_TOKEN];
    await writeChatterboxFixture(join(root, 'models', MODEL), { variant: 'turbo', dims: DIMS, kvDtype: KV, externalData: true, seed: 1, script: { tokens: script } });
    const threads = Math.max(1, availableParallelism());
    console.log(`Chatterbox Turbo fixture: ${DIMS.layers} layers × ${DIMS.hiddenSize} wide (${DIMS.kvHeads} × 64 heads), ${KV} KV, ${TOKENS} speech tokens (${fmt(TOKENS / 25)} s) per run; written in ${fmt((performance.now() - started) / 1000)} s; ${threads} CPU threads`);
    // Direct runs before and after the server and the faster counts: on a shared machine noise only slows things down.
    const before = await direct(join(root, 'models'), threads);
    const s = await server(join(root, 'models'), join(root, 'voices'));
    const after = await direct(join(root, 'models'), threads);
    const d = before.total <= after.total ? before : after;
    console.log(`direct (in-process loop): prefill ${fmt(d.prefill)} ms, ${fmt(d.step)} ms per LM step over ${d.steps} steps, decoder ${fmt(d.decoderPerSecond)} ms per s of audio (stand-in decoder), first audio ${fmt(d.first)} ms, total ${fmt(d.total)} ms for ${fmt(d.seconds, 2)} s = ${fmt(d.seconds / (d.total / 1000), 2)}× real time`);
    console.log(`server (HTTP, worker thread, pcm stream): first byte ${fmt(s.first)} ms, total ${fmt(s.total)} ms for ${fmt(s.seconds, 2)} s = ${fmt(s.seconds / (s.total / 1000), 2)}× real time; server / direct total ${fmt(s.total / d.total, 2)}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
