import { resolveRepo } from './aliases';

/**
 * The command that fetches a model, for messages such as the server's 404 `model_not_found`:
 * `pullCommandFor('whisper-base')` → `npm run models -- pull onnx-community/whisper-base`.
 * Undefined when the id is neither a known alias nor an `owner/name` repo, so no one is told to run a command
 * that cannot work.
 */
export function pullCommandFor(modelIdOrAlias: string): string | undefined {
  const repo = resolveRepo(modelIdOrAlias);
  return repo === undefined ? undefined : `npm run models -- pull ${repo}`;
}
