/**
 * Fuzz: at least 1,000 hostile requests per run against a real listening server (the probe plugin stands in for a
 * speech-to-text model, eSpeak speaks). A generated corpus of broken media goes up concurrently; malformed
 * multipart, hostile JSON and odd lookups run as fast-check properties (a failure shrinks to the smallest request
 * that shows it). Every answer must be a 2xx or a 4xx in OpenAI's envelope: no 5xx, no crash or hang, no temp file
 * left behind, no polluted prototype, and the server (its decoder pool included) still serves afterwards.
 *
 * FUZZ_SEED picks another reproducible run; FUZZ_CASES raises the case count (default 1200).
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';
import { lookupArbitrary, malformedMultipartArbitrary, speechJsonArbitrary, transcriptionRoute, uploadRequest, type FuzzRequest } from './http-cases';
import { encodeClips, uploadArbitrary, type Clips } from './media-corpus';
import { send, Tally } from './tally';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const CASES = Math.max(1, Number(process.env.FUZZ_CASES ?? 1200));
/** Share of the cases per kind: most go to media, where the decoder is. */
const BUDGET = { uploads: Math.round(CASES * 0.5), multipart: Math.round(CASES * 0.2), json: Math.round(CASES * 0.2), lookups: Math.round(CASES * 0.1) };
const CONCURRENCY = 6;

let server: TestServer;
let clips: Clips;
let tmp: string;
const savedTmpdir = process.env.TMPDIR;
const tally = new Tally();

beforeAll(async () => {
  // The server runs in this process: a private TMPDIR makes os.tmpdir() (and TMP_DIR) a folder only it writes to.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-fuzz-'));
  process.env.TMPDIR = tmp;
  server = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, TMP_DIR: tmp });
  clips = await encodeClips();
  await waitUntilReady(server.url);
}, 120_000);

afterAll(async () => {
  await server.close();
  process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Sends `requests` with a few in flight at once, recording every outcome. */
async function sendAll(requests: FuzzRequest[]): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++];
      tally.record(request, await send(server.url, request));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** A fast-check property over requests: each one must be answered properly. */
async function property(arbitrary: fc.Arbitrary<FuzzRequest>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (request) => tally.record(request, await send(server.url, request))),
    { seed: SEED, numRuns },
  );
}

function leftoverFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

it('answers a corpus of truncated, bit-flipped, lying and non-audio uploads with 2xx or 4xx', async () => {
  const uploads = fc.sample(fc.tuple(uploadArbitrary(clips), transcriptionRoute), { seed: SEED, numRuns: BUDGET.uploads });
  await sendAll(uploads.map(([upload, route]) => uploadRequest(upload, route)));
  expect(tally.failures).toEqual([]);
}, 600_000);

it('property: malformed multipart never gets a 5xx or a crash', () => property(malformedMultipartArbitrary(clips.wav), BUDGET.multipart), 600_000);

it('property: hostile speech JSON never gets a 5xx or a crash', () => property(speechJsonArbitrary, BUDGET.json), 600_000);

it('property: any model or voice lookup, any method, never gets a 5xx or a crash', () => property(lookupArbitrary, BUDGET.lookups), 600_000);

it('figures: no 5xx, no crash, no temp file, no polluted prototype; the server and its decoders still serve', async () => {
  const health = await fetch(`${server.url}/healthz`);
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([clips.wav]), 'clean.wav');
  const transcription = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  const report = transcription.ok ? (JSON.parse(((await transcription.json()) as { text: string }).text) as { samples: number }) : undefined;
  const leftovers = leftoverFiles(tmp);
  console.log(
    `fuzz (seed ${SEED}): cases ${tally.cases}, 2xx ${tally.ok}, 4xx ${tally.clientErrors}, 5xx ${tally.serverErrors}, crashes ${tally.crashes}, ` +
      `bad envelopes ${tally.badEnvelopes}, leftover temp files ${leftovers.length}`,
  );
  expect(tally.failures).toEqual([]);
  expect(tally.cases).toBeGreaterThanOrEqual(Math.min(CASES, 1000));
  expect(tally.serverErrors).toBe(0);
  expect(tally.crashes).toBe(0);
  expect(tally.badEnvelopes).toBe(0);
  expect(tally.otherStatuses).toBe(0);
  expect(leftovers).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(health.status).toBe(200);
  expect(transcription.status).toBe(200);
  expect(report?.samples).toBe(16_000);
});
