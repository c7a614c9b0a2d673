/**
 * Errors the engine raises. They say what went wrong in the client's terms; the HTTP layer maps them to
 * OpenAI's error envelope (src/http/openai-error.ts).
 */
import type { Task } from '../../plugins/sdk';
import { pullCommandFor } from '../models/pull-command';

const TASK_NAMES: Record<Task, string> = {
  speech: 'speech synthesis (/v1/audio/speech)',
  transcription: 'transcription (/v1/audio/transcriptions)',
  translation: 'translation (/v1/audio/translations)',
};

const HOW_TO_INSTALL: Record<Task, string> = {
  speech: 'The built-in model `espeak` (alias `tts-1`) always works; GET /v1/models lists the others.',
  transcription:
    'No speech-to-text backend serves it: install a speech-to-text plugin and its model into MODELS_DIR (see the README, "Models"), map `whisper-1` to it with ALIASES, or use a model listed at GET /v1/models.',
  translation:
    'No translation backend serves it: install a multilingual speech-to-text plugin and its model into MODELS_DIR (see the README, "Models"), map `whisper-1` to it with ALIASES, or use a model listed at GET /v1/models.',
};

/**
 * The `models` command that installs a speech-to-text model the client named (`whisper-base`, `whisper-1`,
 * `owner/name`), or undefined when the name is no known model. Translation never points at large-v3-turbo (the
 * `whisper-1` default), which was not trained to translate.
 */
function speechToTextPullCommand(model: string, task: Task): string | undefined {
  const command = pullCommandFor(model);
  if (task === 'translation' && command?.includes('turbo')) return pullCommandFor('whisper-small');
  return command;
}

function notInstalledMessage(model: string, task: Task | undefined): string {
  const pull = task === 'transcription' || task === 'translation' ? speechToTextPullCommand(model, task) : undefined;
  if (pull) {
    return `The model \`${model}\` is not installed on this server. Install it with \`${pull}\` (into MODELS_DIR) and restart the server; GET /v1/models lists the models it serves now.`;
  }
  return `The model \`${model}\` does not exist or is not installed on this server.` + (task ? ` ${HOW_TO_INSTALL[task]}` : ' GET /v1/models lists the models this server serves.');
}

/** No plugin serves this model id (or alias). */
export class ModelNotFoundError extends Error {
  constructor(
    readonly model: string,
    readonly task?: Task,
  ) {
    super(notInstalledMessage(model, task));
    this.name = 'ModelNotFoundError';
  }
}

/** The model exists but cannot do what was asked (e.g. transcribe with a speech model). */
export class TaskNotSupportedError extends Error {
  constructor(
    readonly model: string,
    readonly task: Task,
  ) {
    super(`The model \`${model}\` does not support ${TASK_NAMES[task]}. ${HOW_TO_INSTALL[task]}`);
    this.name = 'TaskNotSupportedError';
  }
}

/** The client asked for something the model cannot do (a voice it lacks, word timestamps …). */
export class UnsupportedOptionError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
    this.name = 'UnsupportedOptionError';
  }
}

/** Every worker of the device is busy and its queue is full (429), or the model is still loading there (503). */
export class OverloadedError extends Error {
  constructor(
    readonly device: string,
    readonly retryAfterSeconds: number,
    /** Set when the model is not loaded on the device yet. */
    readonly loadingModel?: string,
  ) {
    super(
      loadingModel
        ? `The model \`${loadingModel}\` is still loading and its queue is full. Retry in ${retryAfterSeconds} s.`
        : `The server is at capacity: every worker is busy and the queue is full. Retry in ${retryAfterSeconds} s.`,
    );
    this.name = 'OverloadedError';
  }
}

/** The request ran past REQUEST_TIMEOUT_MS (queue wait included); its worker was told to stop. */
export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The request took longer than this server allows (${timeoutMs} ms, REQUEST_TIMEOUT_MS) and was stopped.`);
    this.name = 'RequestTimeoutError';
  }
}

/** The server is shutting down and takes no new work. */
export class ShuttingDownError extends Error {
  constructor() {
    super('The server is shutting down; retry against another instance.');
    this.name = 'ShuttingDownError';
  }
}

/** The worker running the request died (crashed, exited or was terminated). Only this request fails. */
export class WorkerFailedError extends Error {
  constructor(
    readonly device: string,
    readonly reason: string,
  ) {
    super(`The inference worker on ${device} stopped while serving the request: ${reason}`);
    this.name = 'WorkerFailedError';
  }
}

/** MODEL_VERIFY_ON_LOAD found model files that differ from the hashes recorded when they were pulled. */
export class ModelIntegrityError extends Error {
  constructor(readonly model: string) {
    super(`The model \`${model}\` failed its integrity check (its files differ from the ones pulled) and is not served. The server's log names the files.`);
    this.name = 'ModelIntegrityError';
  }
}
