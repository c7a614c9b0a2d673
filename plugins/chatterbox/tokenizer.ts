/**
 * The text tokenizer of a Chatterbox export, read from its Hugging Face `tokenizer.json`, and the documented prompt
 * layouts (contract B2):
 * - Turbo: GPT-2 byte-level BPE; paralinguistic tags (`[laugh]`, `[chuckle]` …) are added tokens and stay single
 *   tokens; the prompt is the text's ids followed by `<|endoftext|>` twice (the graph turns those into START speech).
 * - Original / multilingual: character-level BPE ("EnTokenizer" / grapheme MTL tokenizer) where spaces are `[SPACE]`;
 *   the prompt is `[6563 (exaggeration), [START], …text…, [STOP], 6561, 6561]`; multilingual text starts `[xx]`.
 * The layout is built here rather than trusted to the file's post-processor, and `templateEncode` lets a test check
 * that both agree. Control tokens can never come from user text: only tags and language tokens are matched in it.
 */
import { readFile } from 'node:fs/promises';
import { BpeMerges, BYTE_TO_CHAR, GPT2_SPLIT, type MergeJson } from '../sdk';
import { EXAGGERATION_TOKEN, START_SPEECH_TOKEN, type ChatterboxVariant } from './constants';

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

type NormalizerJson = { type: string; normalizers?: NormalizerJson[]; pattern?: { String?: string }; content?: string } | null | undefined;
type TemplatePiece = { SpecialToken?: { id: string }; Sequence?: { id: string } };
type PostProcessorJson = { type?: string; single?: TemplatePiece[]; special_tokens?: Record<string, { ids: number[] }>; processors?: PostProcessorJson[] } | null | undefined;

/** HF's Whitespace pre-tokenizer. */
const WHITESPACE_SPLIT = /\w+|[^\w\s]+/gu;

/** Bracketed added tokens that structure the prompt; the rest of `[...]` added tokens are tags usable in text. */
const STRUCTURAL = new Set(['[START]', '[STOP]', '[UNK]', '[SPACE]', '[PAD]', '[SEP]', '[CLS]', '[MASK]']);

function applyNormalizer(text: string, normalizer: NormalizerJson): string {
  if (!normalizer) return text;
  switch (normalizer.type) {
    case 'Sequence':
      return (normalizer.normalizers ?? []).reduce(applyNormalizer, text);
    case 'Lowercase':
      return text.toLowerCase();
    case 'NFKD':
    case 'NFKC':
    case 'NFD':
    case 'NFC':
      return text.normalize(normalizer.type);
    case 'Replace':
      return normalizer.pattern?.String !== undefined ? text.split(normalizer.pattern.String).join(normalizer.content ?? '') : text;
    default:
      return text;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class ChatterboxTokenizer {
  /** GPT-2 byte-level (Turbo) rather than character-level (original / multilingual). */
  readonly byteLevel: boolean;
  /** Paralinguistic and other tags matched in text as single tokens (`[laugh]` → 50275 on Turbo). */
  readonly tags: ReadonlyMap<string, number>;
  /** Language codes with a `[xx]` token (multilingual only). */
  readonly languages: readonly string[];

  private readonly vocab = new Map<string, number>();
  private readonly merges: BpeMerges;
  private readonly unkId: number | undefined;
  private readonly normalizer: NormalizerJson;
  private readonly postProcessor: PostProcessorJson;
  private readonly tagPattern: RegExp | undefined;
  /** The pre-tokenizer's split; undefined = none (BPE runs over each stretch between tags). */
  private readonly splitWords: RegExp | undefined;
  private readonly utf8 = new TextEncoder();

  private constructor(json: Record<string, unknown>) {
    const model = json.model as { type?: unknown; vocab?: Record<string, number>; merges?: MergeJson[]; unk_token?: string } | undefined;
    if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object') throw new Error('tokenizer.json: expected a BPE model with a vocab');
    for (const [token, id] of Object.entries(model.vocab)) this.vocab.set(token, id);
    this.merges = new BpeMerges(model.merges ?? []);
    this.postProcessor = json.post_processor as PostProcessorJson;
    // Tokens the prompt layout places (the template's) can never come from user text.
    const layout = new Set(Object.keys(this.findTemplate(this.postProcessor)?.special_tokens ?? {}));
    const tags = new Map<string, number>();
    for (const added of (json.added_tokens ?? []) as AddedTokenJson[]) {
      this.vocab.set(added.content, added.id);
      if (/^\[[^\]]+\]$/.test(added.content) && !STRUCTURAL.has(added.content) && !layout.has(added.content)) tags.set(added.content, added.id);
    }
    this.tags = tags;
    this.languages = [...tags.keys()].map((tag) => /^\[([a-z]{2})\]$/.exec(tag)?.[1]).filter((code): code is string => code !== undefined);
    this.unkId = model.unk_token !== undefined ? this.vocab.get(model.unk_token) : this.vocab.get('[UNK]');
    const preTokenizer = JSON.stringify(json.pre_tokenizer ?? null);
    this.byteLevel = preTokenizer.includes('ByteLevel') || JSON.stringify(json.decoder ?? null).includes('ByteLevel');
    this.normalizer = json.normalizer as NormalizerJson;
    this.splitWords = this.byteLevel ? GPT2_SPLIT : preTokenizer.includes('Whitespace') ? WHITESPACE_SPLIT : undefined;
    // Longest first, so `[clear throat]` wins over any shorter tag it contains.
    const specials = [...tags.keys(), ...(this.vocab.has('[SPACE]') ? ['[SPACE]'] : [])].sort((a, b) => b.length - a.length);
    this.tagPattern = specials.length > 0 ? new RegExp(`(${specials.map(escapeRegExp).join('|')})`, 'u') : undefined;
  }

  static fromJson(json: Record<string, unknown>): ChatterboxTokenizer {
    return new ChatterboxTokenizer(json);
  }

  static async fromFile(path: string): Promise<ChatterboxTokenizer> {
    return new ChatterboxTokenizer(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  private required(token: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw new Error(`tokenizer.json: ${token} missing; not a Chatterbox tokenizer`);
    return id;
  }

  /** The text's ids alone (no layout tokens). `language` prefixes `[xx]` (multilingual). */
  encodeText(text: string, language?: string): number[] {
    // Resemble's MTLTokenizer lower-cases and NFKD-decomposes before the language prefix.
    const source = language !== undefined ? text.toLowerCase().normalize('NFKD') : text;
    let prepared = applyNormalizer(language !== undefined ? `[${language}]${source}` : source, this.normalizer);
    // Resemble's EnTokenizer / MTLTokenizer spell spaces as the [SPACE] token.
    if (!this.byteLevel && this.vocab.has('[SPACE]')) prepared = prepared.split(' ').join('[SPACE]');
    const ids: number[] = [];
    const pieces = this.tagPattern ? prepared.split(this.tagPattern) : [prepared];
    pieces.forEach((piece, index) => {
      if (piece.length === 0) return;
      // split() with a capture group puts the matched tags at odd indices.
      if (index % 2 === 1) ids.push(this.vocab.get(piece)!);
      else if (!this.splitWords) ids.push(...this.encodeWord(piece));
      else for (const word of piece.matchAll(this.splitWords)) ids.push(...this.encodeWord(word[0]));
    });
    return ids;
  }

  /** The full prompt in the documented layout of `variant` (B2). */
  encodePrompt(text: string, variant: ChatterboxVariant, language?: string): number[] {
    const ids = this.encodeText(text, language);
    if (variant === 'turbo') {
      const endOfText = this.required('<|endoftext|>');
      return [...ids, endOfText, endOfText];
    }
    return [EXAGGERATION_TOKEN, this.required('[START]'), ...ids, this.required('[STOP]'), START_SPEECH_TOKEN, START_SPEECH_TOKEN];
  }

  /** The prompt as the file's own TemplateProcessing post-processor would build it; undefined when it has none. */
  templateEncode(text: string, language?: string): number[] | undefined {
    const template = this.findTemplate(this.postProcessor);
    if (!template?.single) return undefined;
    const ids = this.encodeText(text, language);
    const out: number[] = [];
    for (const piece of template.single) {
      if (piece.Sequence) out.push(...ids);
      else if (piece.SpecialToken) out.push(...(template.special_tokens?.[piece.SpecialToken.id]?.ids ?? []));
    }
    return out;
  }

  private findTemplate(processor: PostProcessorJson): PostProcessorJson {
    if (!processor) return undefined;
    if (processor.type === 'TemplateProcessing') return processor;
    if (processor.type === 'Sequence') for (const inner of processor.processors ?? []) if (this.findTemplate(inner)) return this.findTemplate(inner);
    return undefined;
  }

  private encodeWord(word: string): number[] {
    const symbols = this.byteLevel ? Array.from(this.utf8.encode(word), (b) => BYTE_TO_CHAR[b]) : Array.from(word);
    const merged = this.merges.apply(symbols, word);
    const ids: number[] = [];
    for (const symbol of merged) {
      const id = this.vocab.get(symbol);
      if (id !== undefined) ids.push(id);
      else if (this.unkId !== undefined) ids.push(this.unkId);
      else if (this.byteLevel) throw new Error(`tokenizer.json: merge result ${JSON.stringify(symbol)} is not in the vocabulary`);
      // A character-level vocabulary without [UNK] just skips characters it cannot spell.
    }
    return ids;
  }
}
