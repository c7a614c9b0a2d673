/**
 * Fuzz: about 1,500 hostile requests per run against a real listening server (the probe plugin stands in for a
 * speech-to-text model, eSpeak speaks, the cloner fixture clones voices and speaks chat replies, a loopback fake
 * plays the upstream LLM). Generated corpora of broken media and reference clips go up concurrently; malformed
 * multipart, hostile JSON (speech, chat completions, /generate), voice deletions and lookups run as fast-check
 * properties (a failure shrinks to the smallest request that shows it). Every answer must be a 2xx or a 4xx in
 * OpenAI's envelope (an error event inside a 2xx stream counts as what it says): no 5xx, no crash or hang, no temp
 * file left behind, no polluted prototype; VOICES_DIR ends up holding exactly the voices that were answered 200 and
 * not deleted since; and the server (its decoder pool included) still serves afterwards.
 *
 * FUZZ_SEED picks another reproducible run; FUZZ_CASES changes the case count (default 1400, shared out by SHARES;
 * the near misses of real voice ids come on top, about 10 per voice created).
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFakeLlm, type FakeLlm } from '../utils/fake-llm';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';
import { chatJsonArbitrary, generateJsonArbitrary } from './conversation-cases';
import { lookupArbitrary, malformedMultipartArbitrary, speechJsonArbitrary, transcriptionRoute, uploadRequest, type FuzzRequest } from './http-cases';
import { encodeClips, uploadArbitrary, type Clips } from './media-corpus';
import { RouteTallies, send, type Outcome } from './tally';
import { encodeVoiceClips, realIdDeletes, voiceCreateArbitrary, voiceDeleteArbitrary, type VoiceClips } from './voice-cases';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const CASES = Math.max(1, Number(process.env.FUZZ_CASES ?? 1400));
/** Share of the cases per kind: most go to media, where the decoder is. */
const SHARES = { uploads: 0.34, multipart: 0.12, speech: 0.12, lookups: 0.06, voices: 0.14, voiceDeletes: 0.06, chat: 0.1, generate: 0.06 };
const BUDGET = Object.fromEntries(Object.entries(SHARES).map(([kind, share]) => [kind, Math.max(1, Math.round(CASES * share))])) as Record<keyof typeof SHARES, number>;
const CONCURRENCY = 6;
/** Small, so oversize clips stay cheap to send. */
const VOICE_MAX_BYTES = 512 * 1024;

let server: TestServer;
let llm: FakeLlm;
let clips: Clips;
let voiceClips: VoiceClips;
let tmp: string;
let voicesDir: string;
const savedTmpdir = process.env.TMPDIR;
const tallies = new RouteTallies();
/** Voices answered 200 on creation (id → name), and ids answered 200 on deletion. */
const created = new Map<string, string>();
const deleted = new Set<string>();

beforeAll(async () => {
  // The server runs in this process: a private TMPDIR makes os.tmpdir() (and TMP_DIR) a folder only it writes to.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-fuzz-'));
  voicesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-fuzz-voices-'));
  process.env.TMPDIR = tmp;
  llm = await startFakeLlm('Sure thing. Here is a short reply!');
  server = await startTestServer({
    PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`,
    TMP_DIR: tmp,
    VOICES_DIR: voicesDir,
    VOICE_MAX_BYTES: String(VOICE_MAX_BYTES),
    // Fewer cached voices than the fuzz makes: speech with a voice reads it from VOICES_DIR, racing its deletion.
    VOICE_CACHE_SIZE: '4',
    UPSTREAM_LLM_URL: llm.url,
    // The cloner speaks chat and /generate replies: /generate's reference clips then clone, and it is cheap.
    SPEECH_MODEL_FOR_CHAT: 'cloner-tts',
  });
  clips = await encodeClips();
  voiceClips = await encodeVoiceClips(VOICE_MAX_BYTES);
  await waitUntilReady(server.url);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await llm?.close();
  process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(voicesDir, { recursive: true, force: true });
});

/** Records an outcome, and keeps track of which voices exist. */
function record(request: FuzzRequest, outcome: Outcome): boolean {
  // The fake upstream keeps every call it gets; nothing here reads them, and the huge conversations add up.
  llm.calls.length = 0;
  if (!('crash' in outcome) && outcome.status === 200) {
    if (request.route === 'POST /v1/audio/voices') {
      const voice = JSON.parse(outcome.body.toString('utf8')) as { id: string; name: string };
      created.set(voice.id, voice.name);
    } else if (request.route === 'DELETE /v1/audio/voices/{id}') {
      deleted.add((JSON.parse(outcome.body.toString('utf8')) as { id: string }).id);
    }
  }
  return tallies.record(request, outcome);
}

/** Sends `requests` with a few in flight at once, recording every outcome. */
async function sendAll(requests: FuzzRequest[]): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++];
      record(request, await send(server.url, request));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** A fast-check property over requests: each one must be answered properly. */
async function property(arbitrary: fc.Arbitrary<FuzzRequest>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (request) => record(request, await send(server.url, request))),
    { seed: SEED, numRuns },
  );
}

function leftoverFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

function remainingVoices(): string[] {
  return [...created.keys()].filter((id) => !deleted.has(id)).sort();
}

it('answers a corpus of truncated, bit-flipped, lying and non-audio uploads with 2xx or 4xx', async () => {
  const uploads = fc.sample(fc.tuple(uploadArbitrary(clips), transcriptionRoute), { seed: SEED, numRuns: BUDGET.uploads });
  await sendAll(uploads.map(([upload, route]) => uploadRequest(upload, route)));
  expect(tallies.all.failures).toEqual([]);
}, 600_000);

it('property: malformed multipart never gets a 5xx or a crash', () => property(malformedMultipartArbitrary(clips.wav), BUDGET.multipart), 600_000);

it('property: hostile speech JSON never gets a 5xx or a crash', () => property(speechJsonArbitrary, BUDGET.speech), 600_000);

it('property: any model or voice lookup, any method, never gets a 5xx or a crash', () => property(lookupArbitrary, BUDGET.lookups), 600_000);

it('answers voice clones from short, long, silent, broken, non-audio and oversize clips, with missing, doubled and bad fields, concurrently, with 2xx or 4xx', async () => {
  await sendAll(fc.sample(voiceCreateArbitrary(voiceClips), { seed: SEED, numRuns: BUDGET.voices }));
  expect(tallies.all.failures).toEqual([]);
  // Enough clean clips are in the mix that some voices exist for the deletions to aim near.
  expect(created.size).toBeGreaterThan(0);
}, 600_000);

it('property: deleting voices by traversal, encoded, overlong and near-miss ids deletes nothing else', async () => {
  await property(voiceDeleteArbitrary, BUDGET.voiceDeletes);
  expect(deleted.size).toBe(0);
  // Near misses of half the real ids (each followed by the real id, which deletes it), all at once.
  const targets = [...created.keys()].filter((_, index) => index % 2 === 0);
  await sendAll(targets.flatMap(realIdDeletes));
  expect(tallies.all.failures).toEqual([]);
  expect([...deleted].sort()).toEqual([...targets].sort());
}, 600_000);

it('property: hostile chat completions JSON never gets a 5xx or a crash', () => property(chatJsonArbitrary(clips), BUDGET.chat), 600_000);

it('property: hostile /generate JSON never gets a 5xx or a crash', () => property(generateJsonArbitrary(clips, voiceClips), BUDGET.generate), 600_000);

it('figures: no 5xx, no crash, no temp file, no polluted prototype; VOICES_DIR holds exactly the voices answered 200; the server still serves', async () => {
  const health = await fetch(`${server.url}/healthz`);
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([clips.wav]), 'clean.wav');
  const transcription = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  const report = transcription.ok ? (JSON.parse(((await transcription.json()) as { text: string }).text) as { samples: number }) : undefined;
  const listed = (await (await fetch(`${server.url}/v1/audio/voices?model=cloner-tts`)).json()) as { data: Array<{ id: string; name: string; created_at?: number }> };
  const cloned = listed.data.filter((voice) => voice.created_at !== undefined);
  const leftovers = leftoverFiles(tmp);
  const stored = fs.readdirSync(voicesDir).sort();
  for (const [route, tally] of [...tallies.byRoute].sort(([a], [b]) => a.localeCompare(b))) console.log(`fuzz (seed ${SEED}) ${route}: ${tally.figures()}`);
  console.log(
    `fuzz (seed ${SEED}): ${tallies.all.figures()}, leftover temp files ${leftovers.length}; ` +
      `voices created ${created.size}, deleted ${deleted.size}, stored ${stored.length}`,
  );
  expect(tallies.all.failures).toEqual([]);
  expect(tallies.all.cases).toBeGreaterThanOrEqual(Math.min(CASES, 1000));
  expect(tallies.all.serverErrors).toBe(0);
  expect(tallies.all.crashes).toBe(0);
  expect(tallies.all.badEnvelopes).toBe(0);
  expect(tallies.all.otherStatuses).toBe(0);
  expect(leftovers).toEqual([]);
  // No temp folder of an interrupted write, no trash of a delete, no voice nobody was told about.
  expect(stored).toEqual(remainingVoices());
  for (const id of stored) expect(fs.existsSync(path.join(voicesDir, id, 'voice.json'))).toBe(true);
  expect(cloned.map((voice) => voice.id).sort()).toEqual(remainingVoices());
  // Names pick voices in /v1/audio/speech, so they stay unique, also under concurrent creation.
  expect(new Set(cloned.map((voice) => voice.name)).size).toBe(cloned.length);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(health.status).toBe(200);
  expect(transcription.status).toBe(200);
  expect(report?.samples).toBe(16_000);
});
