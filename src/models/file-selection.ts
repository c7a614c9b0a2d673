/**
 * Which files of a hub repo a pull fetches, decided per model family. Each family's selection is a pure function
 * of the repo listing, so a backend (plugins/whisper/pull-files.ts, later Chatterbox) owns the knowledge of its
 * layout and the `models` command stays generic. Families are handed in by the entry script (scripts/models.ts):
 * src/ never imports plugins.
 */
export interface SelectOptions {
  /** Undefined: the family's default. */
  dtype?: string;
}

export interface ModelFamily {
  id: string;
  /** dtypes `--dtype` accepts; empty when the family does not pick files by dtype. */
  dtypes: readonly string[];
  /** Recorded in the manifest when `--dtype` is not given. */
  defaultDtype?: string;
  matches(repo: string): boolean;
  /** Repo-relative paths to fetch; throws with a readable reason when the repo cannot serve the request. */
  selectFiles(repoFiles: readonly string[], options: SelectOptions): string[];
}

/** Files no backend reads. */
const NOT_MODEL_FILES = /^(README(\.[A-Za-z0-9]+)?|\.gitattributes)$/i;

/** For repos no family claims: everything but the model card and git attributes. */
export const GENERIC_FAMILY: ModelFamily = {
  id: 'generic',
  dtypes: [],
  matches: () => true,
  selectFiles: (repoFiles) => repoFiles.filter((file) => !NOT_MODEL_FILES.test(file)),
};

/** The first family that claims the repo, else the generic one. */
export function familyFor(repo: string, families: readonly ModelFamily[]): ModelFamily {
  return families.find((family) => family.matches(repo)) ?? GENERIC_FAMILY;
}
