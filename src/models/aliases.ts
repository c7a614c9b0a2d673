/**
 * Short names for the repos people pull most: `pull whisper-base` is `pull onnx-community/whisper-base`.
 * The one table of them; the folder a repo lands in is its name without the owner, so an alias and its folder agree.
 */
const ALIASES: Record<string, string> = {
  'whisper-tiny': 'onnx-community/whisper-tiny',
  'whisper-tiny.en': 'onnx-community/whisper-tiny.en',
  'whisper-base': 'onnx-community/whisper-base',
  'whisper-base.en': 'onnx-community/whisper-base.en',
  'whisper-small': 'onnx-community/whisper-small',
  'whisper-small.en': 'onnx-community/whisper-small.en',
  'whisper-large-v3-turbo': 'onnx-community/whisper-large-v3-turbo',
  // OpenAI's name: the README's example ALIASES points whisper-1 at large-v3-turbo.
  'whisper-1': 'onnx-community/whisper-large-v3-turbo',
};

/** Repo ids are `owner/name`, each part letters, digits, `-`, `_`, `.` (the hub's own rule, loosely). */
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function aliasNames(): string[] {
  return Object.keys(ALIASES);
}

/** `owner/name` as given, an alias's repo, or undefined when the input is neither. */
export function resolveRepo(repoOrAlias: string): string | undefined {
  const trimmed = repoOrAlias.trim();
  if (Object.prototype.hasOwnProperty.call(ALIASES, trimmed)) return ALIASES[trimmed];
  return REPO_ID.test(trimmed) && !trimmed.split('/').some((part) => part === '.' || part === '..') ? trimmed : undefined;
}
