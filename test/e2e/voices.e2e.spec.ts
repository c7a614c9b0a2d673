/**
 * POST /v1/audio/voices over HTTP with the cloner fixture (a cloning speech model without weights): the upload's
 * problems name the voice route's own field, `audio_sample`, never the transcription routes' `file`; names stay
 * unique when creations under one name race; speaking with a voice while it is deleted is a 400 or speech, never a 500.
 */
import { FIXTURE_PLUGINS, startTestServer, type TestServer } from '../utils/test-server';
import { pcm16Wav, voiceLikeClip } from '../fixtures/chatterbox/generate-chatterbox';

let server: TestServer;

beforeAll(async () => {
  // A cache of one voice: speaking with a voice another one pushed out reads it from VOICES_DIR.
  server = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, PRELOAD_MODELS: '', VOICE_CACHE_SIZE: '1' });
});

afterAll(() => server?.close());

function voiceForm(files: Array<[field: string, bytes: Uint8Array]>): FormData {
  const form = new FormData();
  form.append('name', 'Form test');
  form.append('consent', 'cons_test');
  form.append('model', 'cloner-tts');
  for (const [field, bytes] of files) form.append(field, new Blob([new Uint8Array(bytes)], { type: 'audio/wav' }), 'reference.wav');
  return form;
}

async function postVoice(form: FormData): Promise<{ status: number; error: { message: string; param: string | null; code: string | null } }> {
  const response = await fetch(`${server.url}/v1/audio/voices`, { method: 'POST', body: form });
  return { status: response.status, error: ((await response.json()) as { error: { message: string; param: string | null; code: string | null } }).error };
}

it.each([
  ['two clips', [['audio_sample'], ['audio_sample']]],
  ['the clip in the field transcriptions use', [['file']]],
])('%s → 400 invalid_multipart naming audio_sample', async (_name, fields) => {
  const clip = pcm16Wav(voiceLikeClip(6));
  const { status, error } = await postVoice(voiceForm(fields.map(([field]) => [field, clip])));
  expect(status).toBe(400);
  expect(error.code).toBe('invalid_multipart');
  expect(error.param).toBe('audio_sample');
  expect(error.message).toContain("in the field 'audio_sample'");
  expect(error.message).not.toContain("'file'");
});

it('one clip in audio_sample clones', async () => {
  const response = await fetch(`${server.url}/v1/audio/voices`, { method: 'POST', body: voiceForm([['audio_sample', pcm16Wav(voiceLikeClip(6))]]) });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ object: 'audio.voice', name: 'Form test' });
});

it('of concurrent creations under one name, exactly one succeeds; the rest are 400 duplicate_voice_name', async () => {
  const clip = pcm16Wav(voiceLikeClip(6, 4));
  const form = () => {
    const body = voiceForm([['audio_sample', clip]]);
    body.set('name', 'Raced name');
    return body;
  };
  const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${server.url}/v1/audio/voices`, { method: 'POST', body: form() })));
  const bodies = await Promise.all(responses.map(async (response) => ({ status: response.status, body: (await response.json()) as { error?: { code: string } } })));
  expect(bodies.filter(({ status }) => status === 200)).toHaveLength(1);
  expect(bodies.filter(({ status, body }) => status === 400 && body.error?.code === 'duplicate_voice_name')).toHaveLength(5);
  const listed = (await (await fetch(`${server.url}/v1/audio/voices?model=cloner-tts`)).json()) as { data: Array<{ name: string }> };
  expect(listed.data.filter((voice) => voice.name === 'Raced name')).toHaveLength(1);
});

async function createVoice(name: string): Promise<string> {
  const form = voiceForm([['audio_sample', pcm16Wav(voiceLikeClip(6, 5))]]);
  form.set('name', name);
  const response = await fetch(`${server.url}/v1/audio/voices`, { method: 'POST', body: form });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

it('speaking with a voice while it is being deleted answers speech or 400 voice_not_found, never a 500', async () => {
  for (let round = 0; round < 8; round++) {
    const doomed = await createVoice(`Doomed ${round}`);
    await createVoice(`Evictor ${round}`); // pushes the doomed voice out of the one-voice cache
    const [speech, deletion] = await Promise.all([
      fetch(`${server.url}/v1/audio/speech`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'cloner-tts', voice: { id: doomed }, input: 'Hello.', response_format: 'pcm' }),
      }),
      fetch(`${server.url}/v1/audio/voices/${doomed}`, { method: 'DELETE' }),
    ]);
    expect(deletion.status).toBe(200);
    const body = Buffer.from(await speech.arrayBuffer());
    if (speech.status !== 200) {
      expect(speech.status).toBe(400);
      expect(JSON.parse(body.toString('utf8'))).toMatchObject({ error: { code: 'voice_not_found', param: 'voice' } });
    }
  }
});
