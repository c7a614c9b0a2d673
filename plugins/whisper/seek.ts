/**
 * openai-whisper's seek arithmetic for audio of any length: which 30-s window to decode next, and how a window's
 * tokens split into segments with global times. Times are in mel frames (100 per second) like openai-whisper's
 * `seek`; timestamp tokens count encoder positions (50 per second), hence the input stride of 2.
 */

/** Mel frames per 30-s window (N_FRAMES). */
export const WINDOW_FRAMES = 3000;
/** Mel frames per second (16000 / hop 160). */
export const FRAMES_PER_SECOND = 100;
/** Mel frames per timestamp step (N_FRAMES / n_audio_ctx). */
export const INPUT_STRIDE = 2;
export const TIME_PRECISION = 0.02;

export interface SegmentSlice {
  /** Token positions `[from, to)` in the window's decoded tokens. */
  from: number;
  to: number;
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
}

export interface WindowSplit {
  segments: SegmentSlice[];
  /** The seek (mel frames) to decode from next. */
  nextSeek: number;
}

function round2(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}

/**
 * Splits one window's tokens at consecutive timestamp pairs (`<|t1|><|t2|>` closes one segment and opens the next)
 * and says where the next window starts: after the last complete segment, or after the whole window when the text
 * ends on a single timestamp or has no pairs.
 */
export function splitWindow(tokens: readonly number[], timestampBegin: number, seek: number, segmentFrames: number): WindowSplit {
  const timeOffset = seek / FRAMES_PER_SECOND;
  const isTimestamp = tokens.map((token) => token >= timestampBegin);
  const count = tokens.length;
  const singleTimestampEnding = count >= 2 ? !isTimestamp[count - 2] && isTimestamp[count - 1] : count === 1 && isTimestamp[0];
  const consecutive: number[] = [];
  for (let i = 1; i < count; i++) if (isTimestamp[i - 1] && isTimestamp[i]) consecutive.push(i);

  if (consecutive.length > 0) {
    const slices = [...consecutive];
    if (singleTimestampEnding) slices.push(count);
    const segments: SegmentSlice[] = [];
    let last = 0;
    for (const current of slices) {
      const startPos = tokens[last] - timestampBegin;
      const endPos = tokens[current - 1] - timestampBegin;
      segments.push({ from: last, to: current, start: round2(timeOffset + startPos * TIME_PRECISION), end: round2(timeOffset + endPos * TIME_PRECISION) });
      last = current;
    }
    const nextSeek = singleTimestampEnding ? seek + segmentFrames : seek + (tokens[last - 1] - timestampBegin) * INPUT_STRIDE;
    return { segments, nextSeek };
  }

  // No pair: one segment over the window, ending at its last timestamp if it has one.
  let duration = segmentFrames / FRAMES_PER_SECOND;
  const timestamps = tokens.filter((token) => token >= timestampBegin);
  if (timestamps.length > 0 && timestamps[timestamps.length - 1] !== timestampBegin) {
    duration = (timestamps[timestamps.length - 1] - timestampBegin) * TIME_PRECISION;
  }
  return { segments: [{ from: 0, to: count, start: round2(timeOffset), end: round2(timeOffset + duration) }], nextSeek: seek + segmentFrames };
}

/** The slice with its times moved back inside `[0, lastTime]` (seconds): the audio's real end. */
export function clampToAudio(slice: SegmentSlice, lastTime: number): SegmentSlice {
  const end = Math.min(slice.end, lastTime);
  return { ...slice, start: Math.min(slice.start, end), end };
}
