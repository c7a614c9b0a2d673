/**
 * POST /generate: the original Audio Pollinations requests, sent as its clients send them (plain JSON over HTTP),
 * answered on this server's pipeline. A real loopback server plays the upstream LLM, a generated Whisper export
 * hears speech_audio, eSpeak speaks, FFmpeg-wasm plays the WAV back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegDecode } from '../audio/helpers';
import { hasMagic } from '../utils/audio-probe';
import { startFakeLlm, type FakeLlm } from '../utils/fake-llm';
import { writeScriptedWhisper } from '../utils/scripted-whisper';
import { rms, tone } from '../utils/signal';
import { encodeTestInput, silentWav } from '../utils/test-audio';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

const HEARD = ' Call me back tomorrow.';
const REPLY = 'Of course. I will call you tomorrow morning.';

let llm: FakeLlm;
let server: TestServer;
let modelsDir: string;
let speech: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'generate-e2e-'));
  await writeScriptedWhisper(modelsDir, 'whisper-generate', HEARD);
  llm = await startFakeLlm(REPLY);
  server = await startTestServer({ MODELS_DIR: modelsDir, UPSTREAM_LLM_URL: llm.url });
  speech = Buffer.from(await encodeTestInput('wav', { samples: tone(200, 2, 16_000), sampleRate: 16_000 })).toString('base64');
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

function generate(body: unknown): Promise<Response> {
  return fetch(`${server.url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The original's request: system message with voice and style, user message with text and maybe speech. */
function original(voice: string, text: string, speechData?: string, seed?: number): object {
  const user: object[] = [{ type: 'text', text }];
  if (speechData) user.push({ type: 'speech_audio', audio: { data: speechData, format: 'wav' } });
  return {
    messages: [
      { role: 'system', voice, content: [{ type: 'text', text: 'You are a friendly receptionist.' }] },
      { role: 'user', content: user },
    ],
    ...(seed === undefined ? {} : { seed }),
  };
}

async function expectSpokenWav(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('audio/wav');
  expect(response.headers.get('content-disposition')).toMatch(/^inline; filename=[0-9a-f]{16}\.wav$/);
  const wav = new Uint8Array(await response.arrayBuffer());
  expect(Number(response.headers.get('content-length'))).toBe(wav.length);
  expect(hasMagic('wav', wav)).toBe(true);
  const samples = await ffmpegDecode(wav, 24_000);
  expect(samples.length / 24_000).toBeGreaterThan(1);
  expect(rms(samples)).toBeGreaterThan(0.01);
}

async function expectError(response: Response, status: number, code?: string): Promise<{ message: string; param: string | null; code: string | null }> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

describe('POST /generate, as the original service answered', () => {
  it('text-to-speech verbatim ("say verbatim:") in the voice dan: a WAV, no LLM call', async () => {
    await expectSpokenWav(await generate(original('dan', 'say verbatim: Welcome to Audio Pollinations.')));
    expect(llm.calls).toHaveLength(0);
  });

  it('text-to-speech with a reply: the LLM answers in the system style, and the answer is spoken (voice ghost)', async () => {
    await expectSpokenWav(await generate(original('ghost', 'Can you call me back?', undefined, 7)));
    expect(llm.calls).toHaveLength(1);
    const { body } = llm.calls[0];
    expect(body.seed).toBe(7);
    expect(body.messages[0].role).toBe('system');
    expect(body.messages[0].content).toContain('You are a friendly receptionist.');
    expect(body.messages[1]).toEqual({ role: 'user', content: 'Can you call me back?' });
  });

  it('speech-to-speech: speech_audio is transcribed, answered and spoken', async () => {
    await expectSpokenWav(await generate(original('alloy', 'Reply to this message.', speech)));
    expect(llm.calls[0].body.messages[1].content).toBe(`Reply to this message.\n\n[Audio transcription: ${HEARD.trim()}]`);
    expect(llm.calls[0].body.seed).toBe(42);
  });

  it('speech-to-text: a transcript in the chat-completion-like JSON', async () => {
    const response = await generate(original('alloy', 'Transcribe this recording.', speech));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: string; object: string; choices: Array<{ index: number; message: { role: string; content: string }; finish_reason: string }> };
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: HEARD.trim() }, finish_reason: 'stop' }],
    });
    expect(llm.calls).toHaveLength(0);
  });

  it('text-to-text: a short written answer when text is asked for', async () => {
    const response = await generate(original('alloy', 'Answer in text: what are your opening hours?'));
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0].message.content).toBe(REPLY);
    expect(llm.calls[0].body.max_tokens).toBe(300);
  });

  it('accepts the original GET /health', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'alive' });
  });
});

describe('POST /generate limits and errors (OpenAI envelope)', () => {
  it('400 without messages, without user content, without user text', async () => {
    await expectError(await generate({ seed: 1 }), 400, 'missing_required_parameter');
    const noContent = await expectError(await generate({ messages: [{ role: 'user', content: [] }] }), 400);
    expect(noContent.message).toBe("Missing or invalid 'content' in user message.");
    expect(noContent.param).toBe('messages[0].content');
    const noText = await expectError(await generate({ messages: [{ role: 'user', content: [{ type: 'speech_audio', audio: { data: speech } }] }] }), 400);
    expect(noText.message).toBe("Missing required 'text' in user content.");
  });

  it('400 audio_too_long for speech_audio over 90 s', async () => {
    const long = Buffer.from(silentWav(91, 8000)).toString('base64');
    const error = await expectError(await generate(original('alloy', 'Reply to this.', long)), 400, 'audio_too_long');
    expect(error.message).toMatch(/90/);
  });

  it('400 for speech_audio that is not base64 audio, naming the field', async () => {
    const error = await expectError(await generate(original('alloy', 'Reply to this.', '%%%')), 400);
    expect(error.param).toBe('messages[1].content[1].audio.data');
  });

  it('400 invalid_audio for speech_audio that is base64 but not audio, naming the field, not `file`', async () => {
    const notAudio = Buffer.from('this is text, not audio at all. '.repeat(20)).toString('base64');
    const error = await expectError(await generate(original('alloy', 'Reply to this.', notAudio)), 400, 'invalid_audio');
    expect(error.param).toBe('messages[1].content[1].audio.data');
  });

  it('400 voice_cloning_unavailable for a reference clip when no cloning model is installed', async () => {
    const clip = Buffer.from(await encodeTestInput('wav', { samples: tone(180, 6, 16_000), sampleRate: 16_000 })).toString('base64');
    const error = await expectError(await generate(original(clip, 'say verbatim: Hello.')), 400, 'voice_cloning_unavailable');
    expect(error.param).toBe('messages[0].voice');
    expect(error.message).toMatch(/Chatterbox/);
  });

  it('502 naming the upstream when the LLM refuses', async () => {
    llm.behaviour = 'unauthorized';
    const error = await expectError(await generate(original('alloy', 'Hello there')), 502, 'upstream_unauthorized');
    expect(error.message).toContain(llm.url);
  });
});

describe('POST /generate voice cloning, with a speech model that clones', () => {
  let cloning: TestServer;

  beforeAll(async () => {
    cloning = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, SPEECH_MODEL_FOR_CHAT: 'cloner-tts', PRELOAD_MODELS: '', UPSTREAM_LLM_URL: llm.url });
  });

  afterAll(() => cloning?.close());

  async function clone(seconds: number): Promise<Response> {
    const clip = Buffer.from(await encodeTestInput('wav', { samples: tone(180, seconds, 16_000), sampleRate: 16_000 })).toString('base64');
    return fetch(`${cloning.url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(original(clip, 'say verbatim: Hello.')) });
  }

  /** The fixture model answers a quarter of the reference clip it was given. */
  async function referenceSecondsHeard(response: Response): Promise<number> {
    expect(response.status).toBe(200);
    const samples = await ffmpegDecode(new Uint8Array(await response.arrayBuffer()), 24_000);
    return (samples.length / 24_000) * 4;
  }

  it("clones a voice from a 5–8 s clip: the model's speech encoder hears the whole clip", async () => {
    expect(await referenceSecondsHeard(await clone(6))).toBeCloseTo(6, 1);
  });

  it('cuts a longer clip to its first 8 s, as the original did', async () => {
    expect(await referenceSecondsHeard(await clone(10))).toBeCloseTo(8, 1);
  });

  it('400 for a clip under 5 s', async () => {
    const error = await expectError(await clone(3), 400, 'audio_too_short');
    expect(error.message).toMatch(/at least 5 s/);
    expect(error.param).toBe('messages[0].voice');
  });

  it('speaks with a voice cloned earlier through POST /v1/audio/voices, named like in /v1/audio/speech', async () => {
    const form = new FormData();
    form.append('name', 'narrator');
    form.append('consent', 'true');
    form.append('model', 'cloner-tts');
    form.append('audio_sample', new Blob([await encodeTestInput('wav', { samples: tone(180, 7, 16_000), sampleRate: 16_000 })], { type: 'audio/wav' }), 'me.wav');
    const created = await fetch(`${cloning.url}/v1/audio/voices`, { method: 'POST', body: form });
    expect(created.status).toBe(200);
    const response = await fetch(`${cloning.url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(original('narrator', 'say verbatim: Hello.')) });
    expect(await referenceSecondsHeard(response)).toBeCloseTo(7, 1);
  });
});
