/**
 * Hostile JSON for the routes that take audio inside JSON: POST /v1/chat/completions (messages of every shape, huge
 * arrays, `input_audio` with bad base64, broken audio and unknown formats, wrong `audio`, `modalities`, `stream` and
 * sampling fields) and the original service's POST /generate (voices that are names, clips or junk, `speech_audio`,
 * the router's phrases, wrong seeds).
 */
import fc from 'fast-check';
import { hostileValue, jsonFramingArbitrary, shallowHostileValue, jsonRequest, type FuzzRequest } from './http-cases';
import { CLIP_FORMATS, uploadArbitrary, type Clips } from './media-corpus';
import type { VoiceClips } from './voice-cases';

/** Each field's right value, or now and then a hostile one. */
type Field = <T>(valid: fc.Arbitrary<T>) => fc.Arbitrary<unknown>;
const hostile: Field = (valid) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: shallowHostileValue });
const plausible: Field = (valid) => valid;
const framing = jsonFramingArbitrary(20);

/**
 * Requests whose every field is hostile now and then, and plausible ones (fields of the right types, wrong values
 * only where a client easily errs: audio, voices, texts): these routes decode, transcribe, ask the upstream and
 * speak only for requests that pass validation, so a good share must.
 */
function hostileOrPlausible(build: (field: Field) => fc.Arbitrary<FuzzRequest>): fc.Arbitrary<FuzzRequest> {
  return fc.oneof({ weight: 2, arbitrary: build(hostile) }, { weight: 3, arbitrary: build(plausible) });
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** What a client puts where base64 audio belongs: audio, broken audio, almost-base64, not a string at all. */
function base64Audio(clips: Clips): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...CLIP_FORMATS).map((format) => base64(clips[format])) },
    { weight: 3, arbitrary: uploadArbitrary(clips).map((upload) => base64(upload.bytes)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...CLIP_FORMATS).chain((format) =>
        fc.constantFrom(
          `data:audio/${format};base64,${base64(clips[format])}`,
          base64(clips[format]).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
          base64(clips[format]).replace(/(.{76})/g, '$1\n'),
          `${base64(clips[format])}!`,
          base64(clips[format]).slice(0, 101),
        ),
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom('', ' ', '!!!!', 'abc', '====', 'A', '=A', 'data:audio/wav;base64,', 'data:,', '%%%', 'UklGRg==', '\u0000', 'null') },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map(base64) },
    { weight: 1, arbitrary: shallowHostileValue },
    // Zeros enough to be worth decoding (about 1.5 MB), but no audio.
    { weight: 1, arbitrary: fc.constant('A'.repeat(2_000_000)) },
  );
}

const AUDIO_FORMAT_NAMES = ['wav', 'mp3', 'flac', 'ogg', 'webm', 'm4a', 'opus', 'aac', 'pcm16', 'aiff', '', 'WAV', '../wav'];
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];
const ODD_ROLES = ['robot', 'USER', ''];
const CHAT_VOICES = ['alloy', 'nova', 'clone', 'fuzz voice 1', 'no-such-voice', `voice_${'0'.repeat(32)}`];
const SPOKEN_TEXTS = ['Hello there.', 'say verbatim: Hello there. Second sentence!', 'say verbatim: ""', 'say verbatim:', 'SAY VERBATIM: "Quoted."', '   ', ''];

function chatPart(clips: Clips, field: Field): fc.Arbitrary<unknown> {
  const text = fc.record({ type: field(fc.constant('text')), text: field(fc.oneof(fc.constantFrom(...SPOKEN_TEXTS), fc.string({ maxLength: 60 }))) });
  const audio = fc.record({
    type: field(fc.constant('input_audio')),
    input_audio: field(fc.record({ data: base64Audio(clips), format: field(fc.constantFrom(...AUDIO_FORMAT_NAMES)) }, { requiredKeys: field === plausible ? ['data'] : [] })),
  });
  const other = fc.constantFrom('image_url', 'input_text', 'audio', 'file', 'refusal').map((type) => ({ type, [type]: { url: 'http://127.0.0.1:1/x' } }));
  return field === plausible ? fc.oneof(text, audio) : fc.oneof({ weight: 3, arbitrary: text }, { weight: 3, arbitrary: audio }, { weight: 1, arbitrary: other }, { weight: 1, arbitrary: shallowHostileValue });
}

function chatMessage(clips: Clips, field: Field, role: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const content = fc.oneof(fc.oneof(fc.constantFrom(...SPOKEN_TEXTS), fc.string({ maxLength: 60 })), fc.array(chatPart(clips, field), { minLength: 1, maxLength: 3 }));
  return fc.record(
    {
      role,
      content: field === plausible ? content : fc.oneof({ weight: 6, arbitrary: content }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: shallowHostileValue }),
      name: field(fc.constantFrom('alice', 'x'.repeat(300))),
      audio: field(fc.record({ id: field(fc.constantFrom('audio_0123', '__proto__', 'constructor', '')) })),
    },
    { requiredKeys: ['role', 'content'] },
  );
}

/** A conversation shaped like a real one: maybe a system message, maybe history, a user turn last. */
function chatConversation(clips: Clips, field: Field): fc.Arbitrary<unknown[]> {
  const roles = field === plausible ? fc.constantFrom(...ROLES) : fc.constantFrom(...ROLES, ...ODD_ROLES);
  return fc
    .tuple(
      fc.option(fc.record({ role: fc.constantFrom('system', 'developer'), content: field(fc.constantFrom('Answer in one short sentence.', '')) }), { nil: undefined }),
      fc.array(chatMessage(clips, field, field(roles)), { maxLength: 2 }),
      chatMessage(clips, field, field(fc.constant('user'))),
    )
    .map(([system, history, user]) => [...(system ? [system] : []), ...history, user]);
}

/** Arrays a hostile client sends instead of a short conversation: thousands of messages or parts. */
const hugeMessages = fc.oneof(
  fc.integer({ min: 1_000, max: 20_000 }).map((count) => Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: 'hi' }))),
  fc.integer({ min: 1_000, max: 20_000 }).map((count) => [{ role: 'user', content: Array.from({ length: count }, () => ({ type: 'text', text: 'hi ' })) }]),
  fc.integer({ min: 100, max: 5_000 }).map((count) => [{ role: 'user', content: Array.from({ length: count }, () => ({ type: 'input_audio', input_audio: { data: '!!', format: 'wav' } })) }]),
  fc.integer({ min: 1_000, max: 50_000 }).map((count) => Array.from({ length: count }, () => 1)),
);

/** The conversation, or (from hostile clients) a huge one, none, or not an array at all. */
function messagesOf(conversation: fc.Arbitrary<unknown[]>, field: Field): fc.Arbitrary<unknown> {
  if (field === plausible) return conversation;
  return fc.oneof({ weight: 8, arbitrary: conversation }, { weight: 2, arbitrary: hugeMessages }, { weight: 1, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: hostileValue });
}

export function chatJsonArbitrary(clips: Clips): fc.Arbitrary<FuzzRequest> {
  return hostileOrPlausible((field) => {
    const voice = field(fc.oneof(fc.constantFrom(...CHAT_VOICES), fc.constantFrom(...CHAT_VOICES).map((id) => ({ id }))));
    const formats = field === plausible ? fc.constantFrom('wav', 'mp3', 'flac', 'opus', 'aac', 'pcm16') : fc.constantFrom('wav', 'mp3', 'flac', 'opus', 'aac', 'pcm16', 'pcm', 'ogg', '');
    const modalities = field === plausible ? fc.constantFrom(['text'], ['text', 'audio']) : fc.constantFrom(['text'], ['text', 'audio'], ['audio'], [], ['video'], ['text', 'text', 'audio']);
    return fc
      .tuple(
        fc.record(
          {
            model: field(fc.constantFrom('gpt-4o-audio-preview', 'gpt-4o-mini-audio-preview', '')),
            messages: messagesOf(chatConversation(clips, field), field),
            modalities: field(modalities),
            audio: field(fc.record({ voice, format: field(formats) })),
            stream: field(fc.boolean()),
            stream_options: field(fc.record({ include_usage: field(fc.boolean()) }, { requiredKeys: [] })),
            verbatim: field(fc.boolean()),
            temperature: field(fc.double({ min: 0, max: 2, noNaN: true })),
            top_p: field(fc.double({ min: 0, max: 1, noNaN: true })),
            max_tokens: field(fc.integer({ min: 1, max: 4096 })),
            seed: field(fc.integer()),
            stop: field(fc.oneof(fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }))),
            presence_penalty: field(fc.double({ min: -2, max: 2, noNaN: true })),
          },
          { requiredKeys: ['model', 'messages'] },
        ),
        framing,
      )
      .map(([fields, how]) => {
        // A plausible streamed audio request asks for the one streamable format, as the SDK's users learn to.
        const audio = fields.audio as { format?: unknown } | undefined;
        if (field === plausible && fields.stream === true && audio) audio.format = 'pcm16';
        return jsonRequest('/v1/chat/completions', fields, field === plausible ? { ...how, framing: 'object', contentType: 'application/json' } : how);
      });
  });
}

/** The original's voice field: names, reference clips (good, short, silent, as a data: URL), and junk. */
function generateVoice(clips: Clips, voiceClips: VoiceClips, field: Field): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('alloy', 'dan', 'ghost', 'nova', 'clone', 'fuzz voice 2', 'no-such-voice', '', '   ') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        base64(voiceClips.clonable.wav),
        `data:audio/wav;base64,${base64(voiceClips.clonable.wav)}`,
        base64(voiceClips.clonable.mp3),
        base64(voiceClips.short),
        base64(voiceClips.silent),
        base64(clips.wav),
        '!'.repeat(300),
        'A'.repeat(300),
        'data:audio/wav;base64,',
      ),
    },
    ...(field === plausible ? [] : [{ weight: 1, arbitrary: shallowHostileValue }]),
  );
}

const USER_TEXTS = ['Tell me a joke.', 'say verbatim: Hello there.', 'say exactly: "Quoted words."', 'read this aloud: One. Two!', 'transcribe this', 'what did I say?', 'answer in text: what is 2+2?', 'repeat after me', '', '   ', 'say verbatim:'];

/** The original's layout: maybe a system message with a voice, then a user message with text and maybe speech. */
function generateConversation(clips: Clips, voiceClips: VoiceClips, field: Field): fc.Arbitrary<unknown[]> {
  const textItem = fc.record({ type: field(fc.constant('text')), text: field(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...USER_TEXTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) })) });
  const speechItem = fc.record({ type: fc.constant('speech_audio'), audio: field(fc.record({ data: base64Audio(clips), format: field(fc.constantFrom(...AUDIO_FORMAT_NAMES)) }, { requiredKeys: field === plausible ? ['data'] : [] })) });
  const usual = fc.tuple(textItem, fc.option(speechItem, { nil: undefined })).map(([text, speech]) => (speech ? [text, speech] : [text]));
  const userContent =
    field === plausible
      ? usual
      : fc.oneof(
          { weight: 6, arbitrary: usual },
          { weight: 1, arbitrary: fc.array(fc.oneof(textItem, speechItem, shallowHostileValue), { maxLength: 4 }) },
          { weight: 1, arbitrary: fc.constantFrom(...USER_TEXTS) },
          { weight: 1, arbitrary: shallowHostileValue },
        );
  const system = fc.record(
    { role: fc.constant('system'), voice: generateVoice(clips, voiceClips, field), content: field(fc.constantFrom([{ type: 'text', text: 'Speak warmly.' }], 'Be brief.', [])) },
    { requiredKeys: ['role'] },
  );
  const user = fc.record({ role: field(fc.constant('user')), content: userContent });
  const stray = fc.record({ role: field(fc.constantFrom('assistant', 'USER', 'tool')), content: userContent });
  return fc
    .tuple(fc.option(system, { nil: undefined }), user, fc.option(stray, { nil: undefined, freq: 8 }), fc.boolean())
    .map(([head, turn, extra, strayFirst]) => [...(head ? [head] : []), ...(extra && strayFirst ? [extra] : []), turn, ...(extra && !strayFirst ? [extra] : [])]);
}

export function generateJsonArbitrary(clips: Clips, voiceClips: VoiceClips): fc.Arbitrary<FuzzRequest> {
  return hostileOrPlausible((field) =>
    fc
      .tuple(fc.record({ messages: messagesOf(generateConversation(clips, voiceClips, field), field), seed: field(fc.integer()) }, { requiredKeys: ['messages'] }), framing)
      .map(([fields, how]) => jsonRequest('/generate', fields, field === plausible ? { ...how, framing: 'object', contentType: 'application/json' } : how)),
  );
}
