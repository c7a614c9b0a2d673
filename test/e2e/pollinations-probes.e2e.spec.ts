/**
 * Pollinations' "Publish a Model" registration probes, replayed as its gateway sends them
 * (enter.pollinations.ai/src/services/community-endpoint-openai.ts): only `Authorization: Bearer <token>` and, for
 * JSON, `Content-Type`; redirects not followed (a 3xx fails the probe). Against a server configured as shipped, with
 * a real Whisper export (generated, scripted to say a sentence) behind whisper-1 and eSpeak behind tts-1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasMagic } from '../utils/audio-probe';
import { encodeTestInput, silentWav } from '../utils/test-audio';
import { writeScriptedWhisper } from '../utils/scripted-whisper';
import { tone } from '../utils/signal';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

/** The token an owner registers with Pollinations: the server's API key. */
const TOKEN = 'sk-pollinations-probe-token';
const SAID = ' Pollinations probe heard you.';

let server: TestServer;
let modelsDir: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'pollinations-probe-'));
  await writeScriptedWhisper(modelsDir, 'whisper-probe', SAID);
  server = await startTestServer({ MODELS_DIR: modelsDir, API_KEYS: TOKEN });
  await waitUntilReady(server.url);
});

afterAll(async () => {
  await server?.close();
  if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
});

/** What the gateway's fetch sends: no other headers, no redirects. */
function probe(path: string, init: { method: 'GET' | 'POST'; body?: string | FormData; contentType?: string }): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` };
  if (init.contentType) headers['Content-Type'] = init.contentType;
  return fetch(`${server.url}/v1${path}`, { method: init.method, headers, body: init.body, redirect: 'manual' });
}

async function transcriptionProbe(wav: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('response_format', 'verbose_json');
  form.append('file', new Blob([wav], { type: 'audio/wav' }), 'sample.wav');
  // multipart: fetch writes the Content-Type with its boundary itself.
  return probe('/audio/transcriptions', { method: 'POST', body: form });
}

describe('Pollinations registration probes', () => {
  it('the server is protected: the same probe without the registered token is refused with 401', async () => {
    const response = await fetch(`${server.url}/v1/models`, { redirect: 'manual' });
    expect(response.status).toBe(401);
  });

  it('"fetch models": GET /models lists models as {data:[{id}]}', async () => {
    const response = await probe('/models', { method: 'GET' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ id: string }> };
    const ids = body.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['tts-1', 'whisper-1']));
    for (const id of ids) expect(typeof id).toBe('string');
  });

  it('speech probe: alloy in mp3 answers a non-empty audio/* body', async () => {
    const response = await probe('/audio/speech', {
      method: 'POST',
      contentType: 'application/json',
      body: '{"model":"tts-1","input":"Pollinations speech endpoint test.","voice":"alloy","response_format":"mp3"}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')?.toLowerCase().split(';')[0]).toMatch(/^audio\//);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBeGreaterThan(1000);
    expect(hasMagic('mp3', body)).toBe(true);
  });

  it('transcription probe: verbose_json gives a non-empty text and a positive duration for speech-length audio', async () => {
    const wav = await encodeTestInput('wav', { samples: tone(300, 2, 16_000), sampleRate: 16_000 });
    const response = await transcriptionProbe(wav);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { text: unknown; duration: unknown; usage?: { seconds?: number } };
    expect(body.text).toBe(SAID.trim());
    expect(body.duration).toBeCloseTo(2, 1);
    expect(body.usage?.seconds).toBeGreaterThan(0);
  });

  it('transcription probe with the 0.1 s, 8 kHz, 16-bit silent sample: a text string and a positive duration, no 4xx', async () => {
    const response = await transcriptionProbe(silentWav(0.1, 8000));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { text: unknown; duration: number };
    expect(typeof body.text).toBe('string');
    expect(body.duration).toBeCloseTo(0.1, 2);
    expect(body.duration).toBeGreaterThan(0);
  });
});
