import type { DescribeContext, ModelInfo, Task, VoiceInfo } from '../../plugins/sdk';
import { ModelNotFoundError, TaskNotSupportedError } from './engine.errors';
import type { LoadedPlugin } from './plugin-loader';

export interface ServedModel {
  plugin: LoadedPlugin;
  info: ModelInfo;
}

export interface CatalogEntry {
  id: string;
  served: ServedModel;
  /** Set when `id` is an alias: the model it stands for. */
  aliasOf?: string;
}

/**
 * Which plugin serves which model id, and which alias stands for which model. Built once at start from the
 * plugins' manifests; the HTTP layer asks it everything by model id and never sees a plugin.
 */
export class ModelRegistry {
  private constructor(
    private readonly models: Map<string, ServedModel>,
    private readonly aliases: Map<string, string>,
  ) {}

  static async build(plugins: LoadedPlugin[], context: DescribeContext, configuredAliases: Record<string, string>): Promise<ModelRegistry> {
    const models = new Map<string, ServedModel>();
    const aliases = new Map<string, string>();
    for (const plugin of plugins) {
      const manifest = await plugin.definition.describe(context);
      for (const info of manifest.models) {
        const existing = models.get(info.id);
        if (existing) {
          throw new Error(`Model '${info.id}' is served by two plugins: '${existing.plugin.definition.id}' and '${plugin.definition.id}'.`);
        }
        models.set(info.id, { plugin, info });
      }
      for (const [alias, target] of Object.entries(manifest.aliases ?? {})) {
        if (!aliases.has(alias)) aliases.set(alias, target);
      }
    }
    for (const [alias, target] of Object.entries(configuredAliases)) aliases.set(alias, target);
    for (const id of models.keys()) aliases.delete(id); // a real model id always means that model
    return new ModelRegistry(models, aliases);
  }

  /** Whether the id is a model or alias this server serves. */
  has(idOrAlias: string): boolean {
    return this.models.has(this.aliases.get(idOrAlias) ?? idOrAlias);
  }

  /** The model an id or alias stands for. */
  resolve(idOrAlias: string, task?: Task): ServedModel {
    const served = this.models.get(this.aliases.get(idOrAlias) ?? idOrAlias);
    if (!served) throw new ModelNotFoundError(idOrAlias, task);
    if (task && !served.info.tasks.includes(task)) throw new TaskNotSupportedError(idOrAlias, task);
    return served;
  }

  /** Every model and every alias whose model is installed, models first. */
  catalog(): CatalogEntry[] {
    const entries: CatalogEntry[] = [...this.models.entries()].map(([id, served]) => ({ id, served }));
    for (const [alias, target] of this.aliases) {
      const served = this.models.get(target);
      if (served) entries.push({ id: alias, served, aliasOf: target });
    }
    return entries;
  }

  /** The voices of every speech model (or of one model), each with the models it works with. */
  voices(model?: string): Array<VoiceInfo & { models: string[] }> {
    const entries = model ? [{ id: model, served: this.resolve(model, 'speech') }] : this.catalog();
    const voices = new Map<string, VoiceInfo & { models: string[] }>();
    for (const { id, served } of entries) {
      for (const voice of served.info.voices ?? []) {
        const known = voices.get(voice.id) ?? { ...voice, models: [] };
        if (!known.models.includes(id)) known.models.push(id);
        voices.set(voice.id, known);
      }
    }
    return [...voices.values()];
  }
}
