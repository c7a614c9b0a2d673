import { AppConfig, ENV_SCHEMA } from './env.schema';

export type { AppConfig } from './env.schema';

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once, at boot. Every bad setting is reported together, so an operator fixes them all
 * in one go. The only place that reads `process.env` for server settings.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(ENV_SCHEMA)) {
    const raw = env[name]?.trim() || (setting.fallback ? env[setting.fallback]?.trim() : undefined);
    const value = raw === undefined || raw === '' ? setting.default : raw;
    try {
      config[name] = setting.parse(value);
    } catch (error) {
      const shown = (setting as { secret?: boolean }).secret ? '(secret, not shown)' : JSON.stringify(value);
      problems.push(`${name}=${shown}: ${(error as Error).message}`);
    }
  }
  if (problems.length === 0 && (config.HTTP_HEADERS_TIMEOUT_MS as number) > (config.HTTP_REQUEST_TIMEOUT_MS as number)) {
    // Node refuses a headers timeout longer than the request timeout.
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as AppConfig;
}
