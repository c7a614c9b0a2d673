/**
 * Errors about the uploaded audio itself: the client's fault, so the HTTP layer answers them in OpenAI's error shape
 * (`{ error: { message, type: 'invalid_request_error', param, code } }`) with `status`. Anything else thrown by the
 * audio layer is an internal error.
 */

export type AudioErrorCode = 'invalid_audio' | 'audio_too_long' | 'audio_too_short' | 'unsupported_format';

export class AudioInputError extends Error {
  override readonly name: string = 'AudioInputError';
  readonly type = 'invalid_request_error';
  readonly param = 'file';

  constructor(
    readonly code: AudioErrorCode,
    message: string,
    /** 400 for content problems, 415 for a recognised format we do not accept. */
    readonly status: 400 | 413 | 415 = 400,
    /** Internal detail (e.g. FFmpeg's last log line) for logs; never part of the message sent to the client. */
    readonly detail?: string,
  ) {
    super(message);
  }

  static empty(): AudioInputError {
    return new AudioInputError('invalid_audio', 'The audio file is empty.');
  }

  static undecodable(detail?: string): AudioInputError {
    return new AudioInputError(
      'invalid_audio',
      'The audio file could not be decoded or its format is not supported.',
      400,
      detail,
    );
  }

  static noAudio(): AudioInputError {
    return new AudioInputError('invalid_audio', 'The audio file contains no audio.');
  }

  static tooLong(maxSeconds: number): AudioInputError {
    return new AudioInputError(
      'audio_too_long',
      `Audio file is too long. Maximum audio length is ${maxSeconds} seconds.`,
    );
  }

  static tooShort(minSeconds: number): AudioInputError {
    return new AudioInputError(
      'audio_too_short',
      `Audio file is too short. Minimum audio length is ${minSeconds} seconds.`,
    );
  }

  /** Bytes match no supported format. Worded as OpenAI words it, so clients matching on it keep working. */
  static invalidFormat(supported: readonly string[]): AudioInputError {
    return new AudioInputError('invalid_audio', `Invalid file format. Supported formats: ${pythonList(supported)}`);
  }

  /** Bytes are a format we recognise but do not accept (e.g. AIFF). */
  static unsupported(formatName: string, supported: readonly string[]): AudioInputError {
    return new AudioInputError(
      'unsupported_format',
      `Unsupported audio format '${formatName}'. Supported formats: ${pythonList(supported)}`,
      415,
    );
  }
}

/** Decoding ran past its time budget and was stopped (a pathological or hostile file, or an overloaded server). */
export class AudioDecodeTimeoutError extends AudioInputError {
  override readonly name: string = 'AudioDecodeTimeoutError';

  constructor(readonly timeoutMs: number) {
    super('invalid_audio', `Decoding the audio file took too long (limit ${timeoutMs} ms) and was stopped.`, 400);
  }
}

function pythonList(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(', ')}]`;
}

/**
 * Every decoder thread is busy and the decode queue is full: the server's fault (load), not the file's, so the HTTP
 * layer answers 429 with Retry-After rather than a 400 the client could not act on.
 */
export class AudioDecoderBusyError extends Error {
  override readonly name: string = 'AudioDecoderBusyError';
  readonly retryAfterSeconds = 1;

  constructor() {
    super('The server is at capacity: every audio decoder is busy and the queue is full. Retry in 1 s.');
  }
}
