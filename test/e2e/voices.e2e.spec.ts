/**
 * POST /v1/audio/voices over HTTP with the cloner fixture (a cloning speech model without weights): the upload's
 * problems name the voice route's own field, `audio_sample`, never the transcription routes' `file`.
 */
import { FIXTURE_PLUGINS, startTestServer, type TestServer } from '../utils/test-server';
import { pcm16Wav, voiceLikeClip } from '../fixtures/chatterbox/generate-chatterbox';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, PRELOAD_MODELS: '' });
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
