/**
 * Whisper's tokenizer, read from a Hugging Face `tokenizer.json`: byte-level BPE (GPT-2 style) plus the added
 * special tokens (`<|startoftranscript|>`, languages, tasks, timestamps). Encoding never produces special ids from
 * text: prompts are user input and must not be able to inject control tokens.
 */
import { readFile } from 'node:fs/promises';
import { BpeMerges, BYTE_TO_CHAR, CHAR_TO_BYTE, GPT2_SPLIT, type MergeJson } from '../sdk/bpe';

/** Seconds per timestamp token (`chunk_length / max_source_positions` = 30 / 1500). */
export const TIMESTAMP_PRECISION_SECONDS = 0.02;

/** The ids of Whisper's control tokens in one vocabulary. */
export interface WhisperSpecialTokens {
  endOfText: number;
  startOfTranscript: number;
  translate: number;
  transcribe: number;
  startOfPrev: number;
  /** `<|nospeech|>`, named `<|nocaptions|>` in older files. */
  noSpeech: number | undefined;
  startOfLm: number | undefined;
  noTimestamps: number;
  /** `<|0.00|>`: `noTimestamps + 1`. */
  timestampBegin: number;
}

export interface DecodeOptions {
  /** Drop special tokens: every added control token and every timestamp (default false). */
  skipSpecial?: boolean;
}

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

export class WhisperTokenizer {
  readonly special: WhisperSpecialTokens;
  /** Language code (`en`, `zh`, `yue`, …) → its `<|xx|>` token id, in vocabulary order. */
  readonly languages: ReadonlyMap<string, number>;
  /** One past the highest id (regular and added tokens). */
  readonly vocabSize: number;

  private readonly tokenToIdMap = new Map<string, number>();
  private readonly idToTokenList: Array<string | undefined> = [];
  /** Ids of added tokens (control tokens and timestamps): decoded as their literal text, never byte-mapped. */
  private readonly addedIds = new Set<number>();
  private readonly specialIds = new Set<number>();
  private readonly languageById = new Map<number, string>();
  private readonly merges: BpeMerges;
  private readonly bytesCache: Array<Uint8Array | undefined> = [];
  private readonly utf8 = new TextEncoder();

  private constructor(json: Record<string, unknown>) {
    const model = json.model as { type?: unknown; vocab?: unknown; merges?: unknown } | undefined;
    if (!model || model.type !== 'BPE') throw new Error('tokenizer.json: expected a BPE model');
    if (typeof model.vocab !== 'object' || model.vocab === null) throw new Error('tokenizer.json: model.vocab missing');
    for (const [token, id] of Object.entries(model.vocab as Record<string, number>)) this.setToken(token, id);
    this.merges = new BpeMerges((model.merges ?? []) as MergeJson[]);
    for (const added of (json.added_tokens ?? []) as AddedTokenJson[]) {
      this.setToken(added.content, added.id);
      this.addedIds.add(added.id);
      if (added.special) this.specialIds.add(added.id);
    }
    this.vocabSize = this.idToTokenList.length;

    const required = (content: string): number => {
      const id = this.tokenToIdMap.get(content);
      if (id === undefined) throw new Error(`tokenizer.json: ${content} missing; not a Whisper tokenizer`);
      return id;
    };
    const noTimestamps = required('<|notimestamps|>');
    this.special = {
      endOfText: required('<|endoftext|>'),
      startOfTranscript: required('<|startoftranscript|>'),
      translate: required('<|translate|>'),
      transcribe: required('<|transcribe|>'),
      startOfPrev: required('<|startofprev|>'),
      noSpeech: this.tokenToIdMap.get('<|nospeech|>') ?? this.tokenToIdMap.get('<|nocaptions|>'),
      startOfLm: this.tokenToIdMap.get('<|startoflm|>'),
      noTimestamps,
      timestampBegin: noTimestamps + 1,
    };
    // Timestamps are non-special added tokens in real files; for Whisper they are control tokens all the same.
    for (const id of this.addedIds) if (id >= this.special.endOfText) this.specialIds.add(id);
    this.specialIds.add(this.special.endOfText);

    const languages = new Map<string, number>();
    for (let id = this.special.startOfTranscript + 1; id < this.special.translate; id++) {
      const match = /^<\|([a-z]{2,3})\|>$/.exec(this.idToTokenList[id] ?? '');
      if (match) {
        languages.set(match[1], id);
        this.languageById.set(id, match[1]);
      }
    }
    this.languages = languages;
  }

  /** From a parsed `tokenizer.json` object. */
  static fromJson(json: Record<string, unknown>): WhisperTokenizer {
    return new WhisperTokenizer(json);
  }

  /** From a `tokenizer.json` file on disk. */
  static async fromFile(path: string): Promise<WhisperTokenizer> {
    return new WhisperTokenizer(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
  }

  get timestampBegin(): number {
    return this.special.timestampBegin;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenToIdMap.get(token);
  }

  /** The vocabulary string (byte-level for regular tokens, literal for added ones). */
  idToToken(id: number): string | undefined {
    return this.idToTokenList[id];
  }

  /** Control tokens and timestamps: everything that is not text. */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id) || id >= this.special.endOfText;
  }

  isTimestamp(id: number): boolean {
    return id >= this.special.timestampBegin;
  }

  /** `<|1.50|>` → 1.5 (relative to the start of the 30-s window the token was decoded in). */
  timestampSeconds(id: number): number {
    // Round to the 0.02-s grid so 75 * 0.02 reads 1.5, not 1.5000000000000002.
    return Math.round((id - this.special.timestampBegin) * TIMESTAMP_PRECISION_SECONDS * 100) / 100;
  }

  /** The timestamp token nearest to `seconds` (clamped to `<|0.00|>`..`<|30.00|>`). */
  timestampToken(seconds: number): number {
    const index = Math.min(1500, Math.max(0, Math.round(seconds / TIMESTAMP_PRECISION_SECONDS)));
    return this.special.timestampBegin + index;
  }

  /** `<|de|>` → its id; undefined for a language this vocabulary has no token for. */
  languageToken(code: string): number | undefined {
    return this.languages.get(code);
  }

  /** Its id → `de`; undefined for a non-language token. */
  languageOf(id: number): string | undefined {
    return this.languageById.get(id);
  }

  /** Text → regular token ids. No special tokens are added, and none are recognized in the text. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const match of text.matchAll(GPT2_SPLIT)) {
      for (const id of this.encodeWord(match[0])) ids.push(id);
    }
    return ids;
  }

  /**
   * Ids → text. Regular tokens are byte sequences; a character split across tokens is reassembled, and a sequence
   * cut short at the end decodes to U+FFFD (use {@link StreamingTextDecoder} to emit text as ids arrive).
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return new TextDecoder('utf-8').decode(this.bytesOf(ids, options.skipSpecial ?? false));
  }

  /** The UTF-8 bytes a token stands for (an added token's literal text). Cached; do not mutate. */
  tokenBytes(id: number): Uint8Array {
    let bytes = this.bytesCache[id];
    if (bytes !== undefined) return bytes;
    const token = this.idToTokenList[id];
    if (token === undefined) throw new RangeError(`token id ${id} is not in the vocabulary`);
    if (this.addedIds.has(id)) {
      bytes = this.utf8.encode(token);
    } else {
      bytes = new Uint8Array(token.length);
      for (let i = 0; i < token.length; i++) {
        const code = token.charCodeAt(i);
        const byte = code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code] : -1;
        if (byte < 0) throw new Error(`token ${id} is not a byte-level token`);
        bytes[i] = byte;
      }
    }
    this.bytesCache[id] = bytes;
    return bytes;
  }

  /** A decoder that turns ids into text deltas as they are generated. */
  createStreamingDecoder(options: DecodeOptions = { skipSpecial: true }): StreamingTextDecoder {
    return new StreamingTextDecoder(this, options);
  }

  private bytesOf(ids: readonly number[], skipSpecial: boolean): Uint8Array {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      if (skipSpecial && this.isSpecial(id)) continue;
      const bytes = this.tokenBytes(id);
      parts.push(bytes);
      length += bytes.length;
    }
    const out = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  private setToken(token: string, id: number): void {
    this.tokenToIdMap.set(token, id);
    this.idToTokenList[id] = token;
  }

  /** BPE over one pre-token: merge the lowest-ranked adjacent pair until none has a rank. */
  private encodeWord(word: string): number[] {
    const symbols = this.merges.apply(Array.from(this.utf8.encode(word), (b) => BYTE_TO_CHAR[b]), word);
    return symbols.map((symbol) => {
      const id = this.tokenToIdMap.get(symbol);
      if (id === undefined) throw new Error(`tokenizer.json: merge result ${JSON.stringify(symbol)} is not in the vocabulary`);
      return id;
    });
  }
}

/**
 * Ids in, text deltas out, for streaming transcripts. A character whose UTF-8 bytes span several tokens is held
 * back until its last byte arrives, so a delta never carries U+FFFD for a character that is merely incomplete.
 */
export class StreamingTextDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly skipSpecial: boolean;
  private decoded = '';

  constructor(
    private readonly tokenizer: WhisperTokenizer,
    options: DecodeOptions = { skipSpecial: true },
  ) {
    this.skipSpecial = options.skipSpecial ?? true;
  }

  /** All text completed so far. */
  get text(): string {
    return this.decoded;
  }

  /** Add one or more ids; returns the text they completed ('' while a character is still partial). */
  push(ids: number | readonly number[]): string {
    let delta = '';
    for (const id of typeof ids === 'number' ? [ids] : ids) {
      if (this.skipSpecial && this.tokenizer.isSpecial(id)) continue;
      delta += this.decoder.decode(this.tokenizer.tokenBytes(id), { stream: true });
    }
    this.decoded += delta;
    return delta;
  }

  /** End of the stream: bytes still pending are invalid UTF-8 and come out as U+FFFD. */
  finish(): string {
    const rest = this.decoder.decode();
    this.decoded += rest;
    return rest;
  }
}
