/**
 * Renders a transcription result in each of OpenAI's response formats. Pure functions: no I/O, easy to test.
 */
import type { TranscriptionResult, TranscriptionSegment } from '../../plugins/sdk';
import { languageName } from '../../plugins/sdk/languages';
import type { TranscriptionFormat } from './transcription.dto';

export interface RenderOptions {
  task: 'transcribe' | 'translate';
  segments: boolean;
  words: boolean;
}

export interface Rendered {
  contentType: string;
  body: string | object;
}

const TEXT = 'text/plain; charset=utf-8';

/** OpenAI bills whisper by the second; its example shows whole seconds (9 for 8.47 s). */
function durationUsage(duration: number) {
  return { type: 'duration' as const, seconds: Math.ceil(duration) };
}

export function render(result: TranscriptionResult, format: TranscriptionFormat, options: RenderOptions): Rendered {
  switch (format) {
    case 'json':
      return { contentType: 'application/json', body: options.task === 'translate' ? { text: result.text } : { text: result.text, usage: durationUsage(result.duration) } };
    case 'text':
      return { contentType: TEXT, body: `${result.text}\n` };
    case 'srt':
      return { contentType: TEXT, body: toSrt(result.segments) };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: toVtt(result.segments) };
    case 'verbose_json':
      return { contentType: 'application/json', body: toVerboseJson(result, options) };
  }
}

function toVerboseJson(result: TranscriptionResult, options: RenderOptions): object {
  const body: Record<string, unknown> = {
    task: options.task,
    language: options.task === 'translate' ? 'english' : languageName(result.language),
    duration: result.duration,
    text: result.text,
  };
  if (options.segments) body.segments = result.segments;
  if (options.words && options.task === 'transcribe') body.words = result.words;
  if (options.task === 'transcribe') body.usage = durationUsage(result.duration);
  return body;
}

/** `HH:MM:SS,mmm` (SubRip) or `HH:MM:SS.mmm` (WebVTT). */
export function timestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const secs = Math.floor((totalMs % 60_000) / 1000);
  const ms = totalMs % 1000;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(ms, 3)}`;
}

function cues(segments: TranscriptionSegment[], separator: ',' | '.'): string[] {
  return segments.map((segment) => `${timestamp(segment.start, separator)} --> ${timestamp(segment.end, separator)}\n${segment.text.trim()}\n`);
}

export function toSrt(segments: TranscriptionSegment[]): string {
  return cues(segments, ',')
    .map((cue, index) => `${index + 1}\n${cue}`)
    .join('\n');
}

export function toVtt(segments: TranscriptionSegment[]): string {
  return ['WEBVTT\n', ...cues(segments, '.')].join('\n');
}
