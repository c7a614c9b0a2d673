/**
 * The input audit's regressions: hostile requests that once reached a 500 (or could pollute the process) now get a
 * clear 4xx in OpenAI's envelope, and the server keeps serving. Raw fetch, since the SDK would never send these.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

let server: TestServer;

beforeAll(async () => {
  // One decoder thread, so every bad upload lands on the same FFmpeg instance.
  server = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, DECODE_WORKERS: '1' });
  await waitUntilReady(server.url);
});

afterAll(() => server.close());

type ErrorFields = { message: string; type: string; param: string | null; code: string | null };

async function expectError(response: Response, status: number, code: string | null): Promise<ErrorFields> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: ErrorFields };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(code);
  return body.error;
}

function postSpeech(body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

const SPEECH_FIELDS = '"model":"tts-1","input":"Hi","voice":"alloy","response_format":"pcm"';

describe('JSON nesting', () => {
  it('answers 400 invalid_json for thousands of nested arrays or objects, not a stack overflow', async () => {
    const arrays = `{${SPEECH_FIELDS},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const objects = `{${SPEECH_FIELDS},"x":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`;
    for (const body of [arrays, objects]) {
      const error = await expectError(await postSpeech(body), 400, 'invalid_json');
      expect(error.message).toMatch(/nested deeper than 32 levels/);
    }
  });

  it('still accepts an extra field nested a few levels deep', async () => {
    const response = await postSpeech(`{${SPEECH_FIELDS},"x":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});

describe('compressed bodies', () => {
  it.each(['gzip', 'deflate', 'br'])('answers 400 invalid_body for a %s body that does not decompress', async (encoding) => {
    const error = await expectError(await postSpeech(`{${SPEECH_FIELDS}}`, { 'content-encoding': encoding }), 400, 'invalid_body');
    expect(error.message).toMatch(/^The request body could not be read: /);
  });

  it('accepts a gzip body that does decompress', async () => {
    const response = await postSpeech(gzipSync(`{${SPEECH_FIELDS}}`), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
  });
});

describe('undecodable uploads', () => {
  function transcribe(bytes: Uint8Array): Promise<Response> {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([bytes]), 'upload.wav');
    return fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  }

  it('answers 400 invalid_audio to every one of many in a row, and the decoder still serves the next client', async () => {
    // A WAV signature followed by garbage: FFmpeg fails on it. The ~15th such failure on one FFmpeg instance used to
    // trap, and that request (or the next innocent one) got a 500.
    const wav = await encodeTestInput('wav', { samples: tone(440, 0.5, 16_000), sampleRate: 16_000 });
    const bad = Buffer.concat([wav.subarray(0, 12), Buffer.alloc(3000, 0x41)]);
    for (let i = 0; i < 30; i++) await expectError(await transcribe(bad), 400, 'invalid_audio');
    const good = await transcribe(wav);
    expect(good.status).toBe(200);
    expect((JSON.parse(((await good.json()) as { text: string }).text) as { samples: number }).samples).toBe(8000);
  });
});

describe('malformed multipart', () => {
  const BOUNDARY = 'hostileBoundary';
  function part(name: string, value: string | Uint8Array, filename?: string): Buffer {
    const disposition = `form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}`;
    return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
  }
  function upload(parts: Buffer[], closing = `--${BOUNDARY}--\r\n`, boundary = BOUNDARY): Promise<Response> {
    return fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat([...parts, Buffer.from(closing)]),
    });
  }
  const wav = Buffer.from('RIFF....WAVE');

  it.each([
    ['two file parts', () => upload([part('model', 'whisper-1'), part('file', wav, 'a.wav'), part('file', wav, 'b.wav')]), 'file'],
    ['the file under another name', () => upload([part('model', 'whisper-1'), part('audio', wav, 'a.wav')]), 'file'],
    ['a field over 64 KiB', () => upload([part('model', 'whisper-1'), part('prompt', 'x'.repeat(70 * 1024))]), 'prompt'],
    ['too many fields', () => upload(Array.from({ length: 50 }, (_, i) => part(`f${i}`, 'x'))), null],
    ['no closing delimiter', () => upload([part('model', 'whisper-1')], ''), null],
    ['a boundary that is not the declared one', () => upload([part('model', 'whisper-1')], `--${BOUNDARY}--\r\n`, 'declaredButAbsent'), null],
  ])('%s → 400 invalid_multipart', async (_name, send, param) => {
    const error = await expectError(await send(), 400, 'invalid_multipart');
    expect(error.param).toBe(param);
    expect(error.message).toMatch(/^Invalid multipart\/form-data body: /);
  });

  it('answers a broken part header and a missing boundary alike', async () => {
    await expectError(await upload([Buffer.from(`--${BOUNDARY}\r\nnot a header\r\n\r\nx\r\n`)]), 400, 'invalid_multipart');
    const response = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' });
    await expectError(response, 400, 'invalid_multipart');
  });
});

describe('lying WAV headers', () => {
  /** A canonical 44-byte PCM WAV header with whatever the caller wants it to claim, followed by `data`. */
  function wavClaiming(claims: { channels?: number; rate?: number; bits?: number; dataSize?: number }, data: Buffer): Buffer {
    const { channels = 1, rate = 16_000, bits = 16, dataSize = data.length } = claims;
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(0xffffffff, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(channels, 22);
    header.writeUInt32LE(rate, 24);
    header.writeUInt32LE((rate * channels * bits) / 8 >>> 0, 28);
    header.writeUInt16LE(((channels * bits) / 8) & 0xffff, 32);
    header.writeUInt16LE(bits, 34);
    header.write('data', 36);
    header.writeUInt32LE(dataSize >>> 0, 40);
    return Buffer.concat([header, data]);
  }
  function transcribe(bytes: Uint8Array): Promise<Response> {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([bytes]), 'liar.wav');
    return fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  }
  const second = Buffer.alloc(32_000, 1);

  it.each([
    ['65535 channels', { channels: 65535 }],
    ['4096 channels', { channels: 4096 }],
    ['a zero sample rate', { rate: 0 }],
    ['a 4 GHz sample rate', { rate: 0xffffffff }],
    ['zero bits per sample', { bits: 0 }],
  ])('%s → 400 invalid_audio', async (_name, claims) => {
    await expectError(await transcribe(wavClaiming(claims, second)), 400, 'invalid_audio');
  });

  it('a 1 Hz rate (a day of audio in 170 KB) → 400 audio_too_long, decoded no further than the limit', async () => {
    await expectError(await transcribe(wavClaiming({ rate: 1 }, Buffer.alloc(170_000, 1))), 400, 'audio_too_long');
  });

  it('a data size claiming 37 hours decodes only the second that is there', async () => {
    const response = await transcribe(wavClaiming({ dataSize: 0xffffffff }, second));
    expect(response.status).toBe(200);
    expect((JSON.parse(((await response.json()) as { text: string }).text) as { samples: number }).samples).toBe(16_000);
  });
});

describe('prototype pollution', () => {
  it('__proto__ and constructor keys in JSON and in multipart field names pollute nothing', async () => {
    const json = await postSpeech(`{${SPEECH_FIELDS},"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"voice_extra":{"__proto__":{"polluted":1}}}`);
    expect(json.status).toBe(200);
    await json.arrayBuffer();
    const form = new FormData();
    for (const name of ['__proto__[polluted]', 'constructor[prototype][polluted]', 'model[__proto__][polluted]']) form.append(name, '1');
    form.append('model', 'whisper-1');
    const multipart = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(multipart.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('requests Node cannot parse', () => {
  /** Writes raw bytes on a fresh connection and returns everything the server sends back. */
  function raw(payload: string): Promise<{ status: number; contentType: string; body: string }> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('end', () => {
        const [head, body] = [data.slice(0, data.indexOf('\r\n\r\n')), data.slice(data.indexOf('\r\n\r\n') + 4)];
        resolve({ status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]*)/i.exec(head)?.[1] ?? '', body });
      });
      socket.on('error', reject);
      socket.end(payload);
    });
  }

  it.each([
    ['a URL over the header limit', 431, 'request_too_large', `GET /v1/audio/voices?model=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a header over the limit', 431, 'request_too_large', `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`],
    ['a broken request line', 400, 'invalid_request', 'GARBAGE\r\n\r\n'],
    ['a bad Content-Length', 400, 'invalid_request', 'POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'],
  ])('%s → %i %s in OpenAI’s envelope', async (_name, status, code, payload) => {
    const answer = await raw(payload);
    expect(answer.status).toBe(status);
    expect(answer.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(answer.body) as { error: ErrorFields };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.code).toBe(code);
  });
});
