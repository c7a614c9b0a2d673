/**
 * Failures of the `models` command that a user can act on. The CLI prints `message` as is (no stack) and exits
 * with `exitCode`: 1 for a failed operation, 2 for a command line it cannot understand.
 */
export class ModelsError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'ModelsError';
  }
}

export class UsageError extends ModelsError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** A transfer that broke off (connection dropped, server hiccup): worth another try, resuming from the `.part`. */
export class TransientDownloadError extends ModelsError {
  constructor(message: string) {
    super(message);
    this.name = 'TransientDownloadError';
  }
}
