import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import { ModelStore } from '../models/model-store';
import { ModelIntegrityError } from './engine.errors';

/**
 * MODEL_VERIFY_ON_LOAD: before a model is first loaded, its folder's files are re-hashed (sha256) against the
 * manifest `npm run models -- pull` wrote, once per process. A mismatch keeps the model out of service until the
 * operator re-pulls it and restarts; a folder without a manifest (copied in by hand, or a model without files such
 * as espeak) has nothing to check against and loads as before.
 *
 * Hashing streams the files (no model bytes held) and took 0.8 s per 512 MiB on the development machine: paid once
 * per model at its first load, which for big models already takes seconds.
 */
export class ModelIntegrity {
  private readonly logger = new Logger('ModelIntegrity');
  private readonly checks = new Map<string, Promise<void>>();
  private readonly store: ModelStore;

  constructor(modelsDir: string) {
    this.store = new ModelStore(modelsDir);
  }

  ensure(model: string): Promise<void> {
    let check = this.checks.get(model);
    if (!check) {
      check = this.check(model);
      this.checks.set(model, check);
    }
    return check;
  }

  private async check(model: string): Promise<void> {
    let folder: string;
    try {
      folder = this.store.folderPath(model);
    } catch {
      return; // An id that cannot be a folder name has no folder to check.
    }
    if (!fs.existsSync(folder)) return;
    const manifest = await this.store.readManifest(model).catch(() => undefined);
    if (!manifest) {
      this.logger.warn(`${model}: no manifest from \`npm run models -- pull\`, so its files cannot be verified; loading it unchecked`);
      return;
    }
    const started = Date.now();
    const result = await this.store.verify(model);
    if (!result.ok) {
      this.logger.error(`${model} failed its integrity check, not served until re-pulled and restarted: ${result.problems.join('; ')}`);
      throw new ModelIntegrityError(model);
    }
    this.logger.log(`${model}: ${manifest.files.length} files match their recorded sha256 (${Date.now() - started} ms)`);
  }
}
