import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PluginDefinition } from '../../plugins/sdk';

/** The file a plugin folder must contain (compiled). */
const ENTRY_FILE = 'plugin.js';
/** Folders under plugins/ that are not plugins. */
const NOT_PLUGINS = new Set(['sdk']);

export interface LoadedPlugin {
  definition: PluginDefinition;
  /** Where it came from, for logs and error messages. */
  source: string;
}

/**
 * Finds plugins: every sub-folder of each plugin directory that holds a `plugin.js`, then every npm package named
 * in PLUGINS. Order is kept (folders first, in the order given), so the first plugin to claim an alias wins.
 */
export function loadPlugins(pluginDirs: string[], packageNames: string[]): LoadedPlugin[] {
  const plugins: LoadedPlugin[] = [];
  for (const dir of pluginDirs) {
    if (!fs.existsSync(dir)) continue;
    const folders = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !NOT_PLUGINS.has(entry.name))
      .map((entry) => path.join(dir, entry.name))
      .filter((folder) => fs.existsSync(path.join(folder, ENTRY_FILE)))
      .sort();
    for (const folder of folders) plugins.push(importPlugin(path.join(folder, ENTRY_FILE)));
  }
  for (const name of packageNames) plugins.push(importPlugin(require.resolve(name, { paths: [process.cwd()] })));
  assertUniqueIds(plugins);
  return plugins;
}

function importPlugin(file: string): LoadedPlugin {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(file) as { default?: unknown };
  const definition = (exported.default ?? exported) as Partial<PluginDefinition>;
  if (typeof definition?.id !== 'string' || typeof definition.describe !== 'function' || typeof definition.create !== 'function') {
    throw new Error(`${file} is not a plugin: its default export must be definePlugin({ id, describe, create }).`);
  }
  return { definition: definition as PluginDefinition, source: file };
}

function assertUniqueIds(plugins: LoadedPlugin[]): void {
  const seen = new Map<string, string>();
  for (const plugin of plugins) {
    const other = seen.get(plugin.definition.id);
    if (other) throw new Error(`Two plugins share the id '${plugin.definition.id}': ${other} and ${plugin.source}.`);
    seen.set(plugin.definition.id, plugin.source);
  }
}
