import { loadConfig } from '../../src/config/app-config';
import { goDuration, parseRateLimit } from '../../src/security/rate-limit.policy';

describe('RATE_LIMIT_* format', () => {
  it('reads N/WINDOW with ms, s, m and h, and off', () => {
    expect(parseRateLimit('60/1m')).toEqual({ limit: 60, windowMs: 60_000, text: '60/1m' });
    expect(parseRateLimit('5/10s')).toMatchObject({ limit: 5, windowMs: 10_000 });
    expect(parseRateLimit('1000/1h')).toMatchObject({ limit: 1000, windowMs: 3_600_000 });
    expect(parseRateLimit('3/500ms')).toMatchObject({ limit: 3, windowMs: 500 });
    expect(parseRateLimit('off')).toBeNull();
  });

  it('refuses anything else at start, naming the setting', () => {
    for (const bad of ['60', '60/m', '1.5/1m', '-1/1m', '0/1m', '60/1d', 'sixty/1m']) {
      expect(() => loadConfig({ RATE_LIMIT_SPEECH: bad })).toThrow(/RATE_LIMIT_SPEECH/);
    }
  });
});

describe('TRUST_PROXY', () => {
  it('is off by default and takes hops or addresses', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.example' })).toThrow(/TRUST_PROXY/);
  });
});

describe('REDIS_URL', () => {
  it('never shows its value (it may hold a password) when refused', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(/REDIS_URL=\(secret, not shown\)/);
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).not.toThrow(/hunter2/);
  });
});

describe('reset header format (Go durations, as OpenAI sends them)', () => {
  it('writes ms, s and m/h forms', () => {
    expect(goDuration(20)).toBe('20ms');
    expect(goDuration(1200)).toBe('1.2s');
    expect(goDuration(59_000)).toBe('59s');
    expect(goDuration(360_000)).toBe('6m0s');
    expect(goDuration(3_723_000)).toBe('1h2m3s');
  });
});
