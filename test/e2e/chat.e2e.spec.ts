/**
 * POST /v1/chat/completions with audio (speech-to-speech), through the official SDK's `chat.completions.create`.
 * Real parts all the way: a real loopback HTTP server plays the upstream LLM (replies, streams, and each failure
 * mode), a generated Whisper export hears the input audio, eSpeak speaks, FFmpeg-wasm plays the result back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import type { ChatCompletionCreateParams, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { ffmpegDecode } from '../audio/helpers';
import { hasMagic } from '../utils/audio-probe';
import { closedPort, startFakeLlm, type FakeLlm } from '../utils/fake-llm';
import { writeScriptedWhisper } from '../utils/scripted-whisper';
import { rms, s16leToFloat, tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

const HEARD = ' What is the weather like?';
const REPLY = 'It is sunny and warm today. Enjoy the walk in the park!';
const UPSTREAM_KEY = 'sk-upstream-secret';

let llm: FakeLlm;
let server: TestServer;
let modelsDir: string;
let spokenWav: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'chat-e2e-'));
  await writeScriptedWhisper(modelsDir, 'whisper-chat', HEARD);
  llm = await startFakeLlm(REPLY);
  server = await startTestServer({
    MODELS_DIR: modelsDir,
    UPSTREAM_LLM_URL: llm.url,
    UPSTREAM_LLM_MODEL: 'gemini-fast',
    UPSTREAM_LLM_API_KEY: UPSTREAM_KEY,
    // Long enough for any healthy answer on a loaded machine; only the 'hang' cases wait it out.
    UPSTREAM_LLM_TIMEOUT_MS: '1500',
  });
  spokenWav = Buffer.from(await encodeTestInput('wav', { samples: tone(220, 1.5, 16_000), sampleRate: 16_000 })).toString('base64');
  await waitUntilReady(server.url);
});

afterAll(async () => {
  await server?.close();
  await llm?.close();
  if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
});

beforeEach(() => {
  llm.behaviour = 'reply';
  llm.calls = [];
});

const SPEECH_TO_SPEECH = {
  model: 'gpt-4o-audio-preview',
  modalities: ['text', 'audio'],
  messages: [
    { role: 'system', content: 'Answer in two short sentences.' },
    { role: 'user', content: [{ type: 'text', text: 'Listen:' }, { type: 'input_audio', input_audio: { data: '', format: 'wav' } }] },
  ],
} as const;

function speechToSpeech(format: 'wav' | 'mp3' | 'pcm16'): ChatCompletionCreateParamsNonStreaming {
  const params = structuredClone(SPEECH_TO_SPEECH) as unknown as ChatCompletionCreateParamsNonStreaming;
  ((params.messages[1].content as OpenAI.Chat.ChatCompletionContentPart[])[1] as OpenAI.Chat.ChatCompletionContentPartInputAudio).input_audio.data = spokenWav;
  return { ...params, audio: { voice: 'alloy', format } };
}

/** Speech-length audio a listener would hear: more than half a second of it, not silence. */
function expectSpeech(samples: Float32Array, sampleRate: number): void {
  expect(samples.length / sampleRate).toBeGreaterThan(1);
  expect(samples.length / sampleRate).toBeLessThan(30);
  expect(rms(samples)).toBeGreaterThan(0.01);
}

async function errorOf(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

interface AudioDelta {
  id?: string;
  data?: string;
  transcript?: string;
  expires_at?: number;
}

describe('chat completions with audio', () => {
  it('hears input_audio, asks the upstream, and speaks its reply as a WAV in message.audio', async () => {
    const completion = await server.client.chat.completions.create({ ...speechToSpeech('wav'), temperature: 0.4, seed: 7 });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-audio-preview');
    const { message, finish_reason } = completion.choices[0];
    expect(finish_reason).toBe('stop');
    expect(message.role).toBe('assistant');
    expect(message.content).toBeNull();
    expect(message.audio!.transcript).toBe(REPLY);
    expect(message.audio!.id).toMatch(/^audio_/);
    expect(message.audio!.expires_at).toBeGreaterThan(completion.created);
    const wav = Buffer.from(message.audio!.data, 'base64');
    expect(hasMagic('wav', wav)).toBe(true);
    expectSpeech(await ffmpegDecode(wav, 24_000), 24_000);
    expect(completion.usage!.completion_tokens_details!.audio_tokens).toBeGreaterThan(0);
    expect(completion.usage!.prompt_tokens_details!.audio_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);

    // What the upstream saw: our key, the configured model, the audio as its transcript, the sampling fields.
    expect(llm.calls).toHaveLength(1);
    const [call] = llm.calls;
    expect(call.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(call.body).toMatchObject({ model: 'gemini-fast', stream: false, temperature: 0.4, seed: 7 });
    expect(call.body.messages).toEqual([
      { role: 'system', content: 'Answer in two short sentences.' },
      { role: 'user', content: `Listen:\n${HEARD.trim()}` },
    ]);
  });

  it('answers mp3 when asked', async () => {
    const completion = await server.client.chat.completions.create(speechToSpeech('mp3'));
    const mp3 = Buffer.from(completion.choices[0].message.audio!.data, 'base64');
    expect(hasMagic('mp3', mp3)).toBe(true);
    expectSpeech(await ffmpegDecode(mp3, 24_000), 24_000);
  });

  it('answers text only when modalities are ["text"]', async () => {
    const completion = await server.client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0].message.content).toBe(REPLY);
    expect(completion.choices[0].message.audio).toBeUndefined();
    expect(completion.usage).toMatchObject({ prompt_tokens: 31, completion_tokens: 17, total_tokens: 48 });
  });

  it('streams delta.audio: transcript deltas and pcm16 data, then stop and usage', async () => {
    const params: ChatCompletionCreateParamsStreaming = { ...speechToSpeech('pcm16'), stream: true, stream_options: { include_usage: true } };
    const stream = await server.client.chat.completions.create(params);
    const deltas: AudioDelta[] = [];
    const finishes: Array<string | null> = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        finishes.push(choice.finish_reason);
        const audio = (choice.delta as { audio?: AudioDelta }).audio;
        if (audio) deltas.push(audio);
      }
    }
    expect(deltas.map((delta) => delta.transcript ?? '').join('')).toBe(REPLY);
    expect(deltas.filter((delta) => delta.transcript !== undefined).length).toBeGreaterThan(1);
    const pcm = Buffer.concat(deltas.filter((delta) => delta.data).map((delta) => Buffer.from(delta.data!, 'base64')));
    expectSpeech(s16leToFloat(pcm), 24_000);
    expect(new Set(deltas.map((delta) => delta.id))).toEqual(new Set([deltas[0].id]));
    expect(deltas.some((delta) => (delta.expires_at ?? 0) > 0)).toBe(true);
    expect(finishes.filter((reason) => reason !== null)).toEqual(['stop']);
    expect(usage!.completion_tokens_details!.audio_tokens).toBeGreaterThan(0);
    expect(llm.calls[0].body.stream).toBe(true);
  });

  it('streams text deltas when only text is asked for', async () => {
    const stream = await server.client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(REPLY);
  });

  it('streams from an upstream that ignores stream and answers one JSON body', async () => {
    llm.behaviour = 'reply-json-always';
    const stream = await server.client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(REPLY);
  });
});

describe('multi-turn with audio', () => {
  it('an earlier spoken reply sent back as {audio: {id}} reaches the upstream as its transcript', async () => {
    const first = await server.client.chat.completions.create({
      model: 'gpt-4o-audio-preview',
      modalities: ['text', 'audio'],
      audio: { voice: 'nova', format: 'wav' },
      messages: [{ role: 'user', content: 'How is the weather?' }],
    });
    const { id } = first.choices[0].message.audio!;
    await server.client.chat.completions.create({
      model: 'gpt-4o-audio-preview',
      messages: [
        { role: 'user', content: 'How is the weather?' },
        { role: 'assistant', audio: { id } },
        { role: 'user', content: 'And tomorrow?' },
      ],
    });
    expect(llm.calls[1].body.messages).toEqual([
      { role: 'user', content: 'How is the weather?' },
      { role: 'assistant', content: REPLY },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it('an unknown audio id is a 400 naming it', async () => {
    const error = await errorOf(
      server.client.chat.completions.create({ model: 'm', messages: [{ role: 'assistant', audio: { id: 'audio_nope' } }, { role: 'user', content: 'Hi' }] }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe('messages[0].audio.id');
  });
});

describe('verbatim mode', () => {
  it('speaks text after "say verbatim:" as it is, without asking the upstream', async () => {
    const completion = await server.client.chat.completions.create({
      model: 'tts',
      modalities: ['text', 'audio'],
      audio: { voice: 'dan', format: 'wav' },
      messages: [{ role: 'user', content: 'say verbatim: "Read This Exactly, please."' }],
    });
    expect(completion.choices[0].message.audio!.transcript).toBe('Read This Exactly, please.');
    expectSpeech(await ffmpegDecode(Buffer.from(completion.choices[0].message.audio!.data, 'base64'), 24_000), 24_000);
    expect(llm.calls).toHaveLength(0);
  });

  it('speaks the last user message as it is with verbatim: true, streamed too', async () => {
    const params = {
      model: 'tts',
      modalities: ['text', 'audio'],
      audio: { voice: 'ghost', format: 'pcm16' },
      messages: [{ role: 'user', content: 'Hello Alloy. Do not answer me, just read.' }],
      stream: true,
      verbatim: true,
    } satisfies ChatCompletionCreateParams & { verbatim: boolean };
    const stream = await server.client.chat.completions.create(params);
    let transcript = '';
    for await (const chunk of stream) transcript += (chunk.choices[0]?.delta as { audio?: AudioDelta } | undefined)?.audio?.transcript ?? '';
    expect(transcript).toBe('Hello Alloy. Do not answer me, just read.');
    expect(llm.calls).toHaveLength(0);
  });
});

describe('upstream failures become OpenAI-shaped 502/504 errors that name the upstream', () => {
  const ask = () => server.client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'Hi' }] });
  const askToStream = async () => {
    const stream = await server.client.chat.completions.create({ model: 'any', modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'pcm16' }, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    for await (const chunk of stream) void chunk;
  };

  it.each([
    ['unauthorized', 'upstream_unauthorized', /answered 401: A valid API key is required/],
    ['rate-limited', 'upstream_rate_limited', /answered 429: Rate limit exceeded/],
    ['malformed', 'upstream_malformed_response', /not a JSON object/],
  ] as const)('%s → 502 %s', async (behaviour, code, message) => {
    llm.behaviour = behaviour;
    for (const call of [ask, askToStream]) {
      const error = await errorOf(call());
      expect(error.status).toBe(502);
      expect(error.code).toBe(code);
      expect(error.type).toBe('server_error');
      expect(error.message).toContain(`${llm.url}/chat/completions`);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(UPSTREAM_KEY);
    }
  });

  it('an upstream that never answers → 504 upstream_timeout', async () => {
    llm.behaviour = 'hang';
    const error = await errorOf(ask());
    expect(error.status).toBe(504);
    expect(error.code).toBe('upstream_timeout');
    expect(error.message).toContain(llm.url);
  });

  it('an upstream that goes silent mid-stream ends the stream with an error event', async () => {
    llm.behaviour = 'stall-mid-stream';
    const error = await errorOf(askToStream());
    expect(error.message).toMatch(/did not answer within 1500 ms/);
    expect(error.message).toContain(llm.url);
  });
});

describe('a server whose upstream is down and that has no speech-to-text model', () => {
  let lonely: TestServer;
  let emptyModels: string;

  beforeAll(async () => {
    emptyModels = await mkdtemp(join(tmpdir(), 'chat-no-models-'));
    lonely = await startTestServer({ MODELS_DIR: emptyModels, UPSTREAM_LLM_URL: `http://127.0.0.1:${await closedPort()}/v1`, PRELOAD_MODELS: '' });
  });

  afterAll(async () => {
    await lonely?.close();
    await rm(emptyModels, { recursive: true, force: true });
  });

  it('an unreachable upstream → 502 upstream_unreachable', async () => {
    const error = await errorOf(lonely.client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(error.status).toBe(502);
    expect(error.code).toBe('upstream_unreachable');
    expect(error.message).toMatch(/could not be reached: ECONNREFUSED/);
  });

  it('input_audio → 400 transcription_unavailable naming the setting, before anything else runs', async () => {
    const error = await errorOf(lonely.client.chat.completions.create(speechToSpeech('wav')));
    expect(error.status).toBe(400);
    expect(error.code).toBe('transcription_unavailable');
    expect(error.param).toBe('messages[1].content[1].input_audio.data');
    expect(error.message).toContain('TRANSCRIPTION_MODEL_FOR_CHAT');
  });
});

describe('request validation', () => {
  it('needs audio (voice and format) when modalities include audio', async () => {
    const error = await errorOf(server.client.chat.completions.create({ model: 'm', modalities: ['text', 'audio'], messages: [{ role: 'user', content: 'Hi' }] }));
    expect(error.status).toBe(400);
    expect(error.param).toBe('audio');
  });

  it('streams audio only as pcm16', async () => {
    const error = await errorOf(
      server.client.chat.completions.create({ model: 'm', modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' }, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe('audio.format');
  });

  it('rejects input_audio that is not base64 audio, naming the part', async () => {
    const error = await errorOf(
      server.client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'not base64!', format: 'wav' } }] }],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe('messages[0].content[0].input_audio.data');
    expect(llm.calls).toHaveLength(0);
  });

  it('rejects base64 that is not audio with invalid_audio naming the part, not `file`', async () => {
    const notAudio = Buffer.from('this is text, not audio at all. '.repeat(20)).toString('base64');
    const error = await errorOf(
      server.client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Listen:' }, { type: 'input_audio', input_audio: { data: notAudio, format: 'wav' } }] }],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_audio');
    expect(error.param).toBe('messages[0].content[1].input_audio.data');
    expect(llm.calls).toHaveLength(0);
  });

  it('rejects an unknown voice with a 400 before any audio is sent', async () => {
    const error = await errorOf(
      server.client.chat.completions.create({ model: 'm', modalities: ['text', 'audio'], audio: { voice: 'no-such-voice', format: 'wav' }, messages: [{ role: 'user', content: 'say verbatim: Hi' }] }),
    );
    expect(error.status).toBe(400);
  });
});
