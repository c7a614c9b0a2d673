/**
 * Word-level timestamps from the decoder's cross-attention (contract A7; openai-whisper `timing.py`): the alignment
 * heads' attention over the audio frames is standardized, median-filtered, averaged, and aligned to the tokens with
 * dynamic time warping; where the path moves to the next token, that token starts.
 */
import { PluginInputError, type TranscriptionWord } from '../sdk';
import { TIMESTAMP_PRECISION_SECONDS, type WhisperTokenizer } from './tokenizer';
import { groupTokensIntoWords } from './words';

/**
 * Why a plain export cannot give word timestamps and which one can: its `_timestamped` sibling on the hub
 * (onnx-community publishes one per size), with the command that pulls it.
 */
export function wordTimestampsHint(modelId: string): string {
  // A `_timestamped` folder without the outputs is an incomplete copy: pulling its repo again repairs it.
  const name = (modelId.includes('/') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId).replace(/_timestamped$/, '');
  const timestamped = name.startsWith('whisper-') ? `onnx-community/${name}_timestamped` : 'onnx-community/whisper-base_timestamped';
  return (
    `The model \`${modelId}\` was exported without cross-attention outputs, so it cannot produce word timestamps. ` +
    `Use a \`_timestamped\` export: \`npm run models -- pull ${timestamped}\`, then ask for model \`${timestamped.slice('onnx-community/'.length)}\`; ` +
    'or use timestamp_granularities[]=segment.'
  );
}

export function wordTimestampsUnavailable(modelId: string): PluginInputError {
  return new PluginInputError(wordTimestampsHint(modelId), 'timestamp_granularities', 'unsupported_value');
}

/** Median of each row's sliding window of `width` (odd), with reflected edges like numpy's `mode="reflect"`. */
export function medianFilter(row: Float32Array, width: number): Float32Array {
  const half = Math.floor(width / 2);
  const n = row.length;
  if (half === 0 || n <= half) return row.slice();
  const reflect = (i: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const out = new Float32Array(n);
  const window = new Float32Array(2 * half + 1);
  for (let i = 0; i < n; i++) {
    for (let k = -half; k <= half; k++) window[k + half] = row[reflect(i + k)];
    window.sort();
    out[i] = window[half];
  }
  return out;
}

/** openai-whisper's dtw_cpu on a cost matrix `[rows][cols]`: the path as (row, col) pairs from (0,0) to the end. */
export function dynamicTimeWarping(cost: Float32Array[], cols: number): { rows: number[]; cols: number[] } {
  const n = cost.length;
  const m = cols;
  const total = Array.from({ length: n + 1 }, () => new Float64Array(m + 1).fill(Infinity));
  const trace = Array.from({ length: n + 1 }, () => new Int8Array(m + 1).fill(-1));
  total[0][0] = 0;
  for (let j = 1; j <= m; j++) {
    for (let i = 1; i <= n; i++) {
      const c0 = total[i - 1][j - 1];
      const c1 = total[i - 1][j];
      const c2 = total[i][j - 1];
      let c: number;
      let t: number;
      if (c0 < c1 && c0 < c2) [c, t] = [c0, 0];
      else if (c1 < c0 && c1 < c2) [c, t] = [c1, 1];
      else [c, t] = [c2, 2];
      total[i][j] = cost[i - 1][j - 1] + c;
      trace[i][j] = t;
    }
  }
  for (let j = 0; j <= m; j++) trace[0][j] = 2;
  for (let i = 0; i <= n; i++) trace[i][0] = 1;
  const rowPath: number[] = [];
  const colPath: number[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    rowPath.push(i - 1);
    colPath.push(j - 1);
    const t = trace[i][j];
    if (t === 0) {
      i--;
      j--;
    } else if (t === 1) i--;
    else j--;
  }
  return { rows: rowPath.reverse(), cols: colPath.reverse() };
}

export interface AlignmentInput {
  /** Per alignment head, one attention row per decoder position fed (prefix first), each `encoderFrames` long. */
  alignment: Float32Array[][];
  prefixLength: number;
  /** Tokens decoded after the prefix (without `<|endoftext|>`). */
  tokenCount: number;
  /** Encoder frames that hold audio (mel frames / 2): attention beyond them is padding. */
  audioFrames: number;
  medianFilterWidth: number;
}

/**
 * Start time (seconds from the window start) of each decoded token, plus one more entry: when the end of text was
 * predicted. The row at position p predicts token p+1, so the rows from the prefix's last one on are aligned.
 */
export function tokenStartTimes(input: AlignmentInput): number[] {
  const { alignment, prefixLength, tokenCount } = input;
  const frames = Math.max(1, Math.min(input.audioFrames, alignment[0]?.[0]?.length ?? 0));
  const first = prefixLength - 1;
  const available = Math.min(tokenCount + 1, (alignment[0]?.length ?? 0) - first);
  if (alignment.length === 0 || available <= 0) return new Array<number>(tokenCount + 1).fill(0);
  const matrix = Array.from({ length: available }, () => new Float32Array(frames));
  for (const headRows of alignment) {
    const rows = headRows.slice(first, first + available).map((row) => row.subarray(0, frames));
    // Standardize each frame column over the tokens (torch.std_mean over dim -2, unbiased=False).
    for (let f = 0; f < frames; f++) {
      let mean = 0;
      for (const row of rows) mean += row[f];
      mean /= rows.length;
      let variance = 0;
      for (const row of rows) variance += (row[f] - mean) ** 2;
      const std = Math.sqrt(variance / rows.length) || 1;
      for (const row of rows) row[f] = (row[f] - mean) / std;
    }
    rows.forEach((row, r) => {
      const filtered = medianFilter(row, input.medianFilterWidth);
      for (let f = 0; f < frames; f++) matrix[r][f] += filtered[f] / alignment.length;
    });
  }
  const path = dynamicTimeWarping(
    matrix.map((row) => row.map((value) => -value)),
    frames,
  );
  const times: number[] = [];
  for (let k = 0; k < path.rows.length; k++) {
    if (k === 0 || path.rows[k] !== path.rows[k - 1]) times.push(path.cols[k] * TIMESTAMP_PRECISION_SECONDS);
  }
  // A window cut off by the length limit has no row for its end: it ends where its last token starts.
  while (times.length < tokenCount + 1) times.push(times[times.length - 1] ?? 0);
  return times;
}

export interface SegmentSpan {
  /** Positions in the window's decoded tokens that belong to this segment. */
  from: number;
  to: number;
  /** Seconds, global. */
  start: number;
  end: number;
}

/**
 * Words of each segment: text tokens grouped with W2's `groupTokensIntoWords`; a word runs from its first token's
 * start to the next token's start, clamped into its segment and kept in order.
 */
export function segmentWords(
  tokenizer: WhisperTokenizer,
  tokens: readonly number[],
  times: readonly number[],
  timeOffset: number,
  segments: readonly SegmentSpan[],
  language: string,
): TranscriptionWord[] {
  const words: TranscriptionWord[] = [];
  for (const segment of segments) {
    const positions: number[] = [];
    for (let p = segment.from; p < segment.to; p++) if (!tokenizer.isSpecial(tokens[p])) positions.push(p);
    const ids = positions.map((p) => tokens[p]);
    let floor = segment.start;
    for (const { word, tokenIndices } of groupTokensIntoWords(tokenizer, ids, language)) {
      if (tokenIndices.length === 0 || word.trim() === '') continue;
      const firstPosition = positions[tokenIndices[0]];
      const lastPosition = positions[tokenIndices[tokenIndices.length - 1]];
      const clamp = (t: number) => Math.min(segment.end, Math.max(floor, t));
      const start = clamp(timeOffset + times[firstPosition]);
      const end = Math.max(start, clamp(timeOffset + times[lastPosition + 1]));
      words.push({ word: word.trim(), start: round2(start), end: round2(end) });
      floor = end;
    }
  }
  return words;
}

function round2(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
