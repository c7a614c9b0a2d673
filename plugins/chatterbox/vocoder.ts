/**
 * Speech tokens → 24 kHz audio, incrementally: the conditional decoder is run on windows of the tokens generated so
 * far, each window re-decoding `overlapTokens` before its new tokens (left context), and consecutive windows joined
 * by an equal-power crossfade over `crossfadeSamples` so the seam is inaudible. The last window appends the silence
 * tokens. A sentence shorter than the first window is decoded once, exactly as the non-incremental loop would.
 */
import { SILENCE_PADDING, SILENCE_TOKEN } from './constants';

export interface WindowSettings {
  /** New tokens before the first window is decoded (the time to first audio within a long sentence). */
  firstWindowTokens: number;
  /** New tokens per later window. */
  windowTokens: number;
  /** Tokens re-decoded before each window's new ones. */
  overlapTokens: number;
  /** Length of the crossfade at each seam. */
  crossfadeSamples: number;
}

/** 2 s before the first window, 4 s per window, 0.4 s of context, 40 ms crossfade. */
export const DEFAULT_WINDOWS: WindowSettings = { firstWindowTokens: 50, windowTokens: 100, overlapTokens: 10, crossfadeSamples: 960 };

/** `tokens` (prompt + speech [+ silence]) → samples for everything after the prompt. */
export type DecodeTokens = (tokens: number[]) => Promise<Float32Array>;

export class IncrementalVocoder {
  private readonly tokens: number[] = [];
  /** Speech tokens whose audio has been emitted (up to the held-back tail). */
  private emittedTokens = 0;
  /** The previous window's last `crossfadeSamples`, not yet emitted: they fade into the next window. */
  private tail: Float32Array | undefined;

  constructor(
    private readonly decode: DecodeTokens,
    private readonly prompt: readonly number[],
    private readonly settings: WindowSettings = DEFAULT_WINDOWS,
  ) {}

  /** Adds one generated token; true when a window is due (call `flush(false)`). */
  push(token: number): boolean {
    this.tokens.push(token);
    const pending = this.tokens.length - this.emittedTokens;
    return pending >= (this.emittedTokens === 0 ? this.settings.firstWindowTokens : this.settings.windowTokens);
  }

  /** Decodes what is pending; `final` decodes to the end (with silence) and releases the held tail. */
  async flush(final: boolean): Promise<Float32Array> {
    const end = this.tokens.length;
    if (end === 0) return new Float32Array(0);
    if (!final && end === this.emittedTokens) return new Float32Array(0);
    const contextStart = Math.max(0, this.emittedTokens - this.settings.overlapTokens);
    const speech = this.tokens.slice(contextStart, end);
    const fed = final ? [...speech, ...new Array<number>(SILENCE_PADDING).fill(SILENCE_TOKEN)] : speech;
    const wave = await this.decode([...this.prompt, ...fed]);
    const perToken = wave.length / fed.length;
    // Where this window's audio for the first not-yet-emitted token starts.
    const start = Math.round((this.emittedTokens - contextStart) * perToken);
    const fade = this.tail ? Math.min(this.tail.length, start) : 0;
    const stop = final ? wave.length : Math.max(start, Math.round(speech.length * perToken) - this.settings.crossfadeSamples);
    const heldFrom = this.tail ? this.tail.length - fade : 0;
    const out = new Float32Array(heldFrom + fade + (stop - start));
    // Tail samples the new window has no context for come out as they are.
    if (this.tail) out.set(this.tail.subarray(0, heldFrom), 0);
    for (let i = 0; i < fade; i++) {
      const t = (i + 0.5) / fade;
      const fadeIn = Math.sin((t * Math.PI) / 2);
      const fadeOut = Math.cos((t * Math.PI) / 2);
      out[heldFrom + i] = this.tail![heldFrom + i] * fadeOut + wave[start - fade + i] * fadeIn;
    }
    out.set(wave.subarray(start, stop), heldFrom + fade);
    this.tail = final ? undefined : wave.slice(stop, Math.round(speech.length * perToken));
    this.emittedTokens = end;
    return out;
  }
}
