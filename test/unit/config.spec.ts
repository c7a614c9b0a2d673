import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { ENV_SCHEMA, PROJECT_ROOT } from '../../src/config/env.schema';

describe('configuration', () => {
  it('starts on built-in defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8000);
    expect(config.MAX_UPLOAD_BYTES).toBe(25 * 1024 * 1024);
    expect(config.MAX_AUDIO_SECONDS).toBe(90);
  });

  it('reports every bad setting at once, naming each', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', MAX_AUDIO_SECONDS: '-1', ALIASES: 'whisper-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('MAX_AUDIO_SECONDS="-1"');
    expect(message).toContain('ALIASES="whisper-1"');
  });

  it('refuses bad Whisper settings at start, so they never reach a worker', () => {
    expect(() => loadConfig({ WHISPER_DTYPE: 'fp8', WHISPER_NO_SPEECH_THRESHOLD: '1.5', WHISPER_TEMPERATURE_FALLBACK: 'maybe' })).toThrow(
      /WHISPER_DTYPE="fp8"[\s\S]*WHISPER_TEMPERATURE_FALLBACK="maybe"[\s\S]*WHISPER_NO_SPEECH_THRESHOLD="1.5"/,
    );
    expect(loadConfig({ WHISPER_DTYPE: 'q4f16', WHISPER_LOGPROB_THRESHOLD: '-0.5' })).toMatchObject({ WHISPER_DTYPE: 'q4f16', WHISPER_LOGPROB_THRESHOLD: -0.5 });
  });

  it('parses aliases and lists', () => {
    const config = loadConfig({ ALIASES: 'whisper-1=whisper-base, tts-1=espeak', PRELOAD_MODELS: 'a,b' });
    expect(config.ALIASES).toEqual({ 'whisper-1': 'whisper-base', 'tts-1': 'espeak' });
    expect(config.PRELOAD_MODELS).toEqual(['a', 'b']);
  });

  it('reads the upstream LLM key from POLLI_TOKEN (the original service\'s name) unless UPSTREAM_LLM_API_KEY is set', () => {
    expect(loadConfig({}).UPSTREAM_LLM_API_KEY).toBe('');
    expect(loadConfig({ POLLI_TOKEN: 'sk_polli' }).UPSTREAM_LLM_API_KEY).toBe('sk_polli');
    expect(loadConfig({ POLLI_TOKEN: 'sk_polli', UPSTREAM_LLM_API_KEY: 'sk_own' }).UPSTREAM_LLM_API_KEY).toBe('sk_own');
  });

  it('refuses an upstream URL that is not http(s) or carries credentials', () => {
    expect(() => loadConfig({ UPSTREAM_LLM_URL: 'ftp://example.com/v1' })).toThrow(/UPSTREAM_LLM_URL/);
    expect(() => loadConfig({ UPSTREAM_LLM_URL: 'https://user:secret@example.com/v1' })).toThrow(/UPSTREAM_LLM_API_KEY/);
  });

  it('lists every setting with its default in .env.example and the README', () => {
    const example = fs.readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const [name, setting] of Object.entries(ENV_SCHEMA)) {
      expect(example).toContain(`${name}=${setting.default}\n`);
      expect(readme).toContain(`| \`${name}\` |`);
    }
  });
});
