/**
 * The engine through a listening server: real piscina workers, real onnxruntime sessions, plugins that misbehave
 * on purpose (test/fixtures/plugins/lab). What the workers did is read from the lab's event log.
 */
import { startLab, waitFor, type Lab } from '../utils/lab';
import { waitUntilReady } from '../utils/test-server';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  const body = (await response.json()) as ErrorBody;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

async function waitForMetric(lab: Lab, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (pattern.test(await (await fetch(`${lab.server.url}/metrics`)).text())) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no metric matched ${pattern}`);
}

describe('admission control', () => {
  let lab: Lab;
  beforeAll(async () => (lab = await startLab({ WORKERS_PER_DEVICE: '1', MAX_QUEUE: '2', PRELOAD_MODELS: 'lab-sleep' })));
  afterAll(() => lab.close());

  it('serves what fits and turns the rest away with 429 and Retry-After; every request ends', async () => {
    await waitUntilReady(lab.server.url);
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => lab.speak('lab-sleep', { sleep_ms: 300, tag: `r${i}` })));
    const statuses = responses.map((response) => response.status).sort();
    // One running and two queued fit; the other five are refused at once.
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    for (const response of responses.filter((candidate) => candidate.status === 429)) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await errorOf(response)).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    }
    for (const response of responses.filter((candidate) => candidate.status === 200)) expect((await response.arrayBuffer()).byteLength).toBe(4800);
    expect(lab.events().filter((event) => event.event === 'end')).toHaveLength(3);
  });
});

describe('a model that is still loading', () => {
  let lab: Lab;
  beforeAll(async () => (lab = await startLab({ WORKERS_PER_DEVICE: '1', MAX_QUEUE: '0' })));
  afterAll(() => lab.close());

  it('answers 503 model_loading with Retry-After when its queue is full, and 200 once loaded', async () => {
    const first = lab.speak('lab-slowload');
    await waitForMetric(lab, /ap_in_flight\{device="cpu:0"\} 1/);
    const second = await lab.speak('lab-slowload');
    expect(second.status).toBe(503);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(second)).toMatchObject({ code: 'model_loading' });
    const firstResponse = await first;
    expect(firstResponse.status).toBe(200);
    // The status arrives with the first audio; the worker is free once the whole answer has been sent.
    await firstResponse.arrayBuffer();
    expect((await lab.speak('lab-slowload')).status).toBe(200);
    // Loaded once in the one worker, then reused.
    expect(lab.events().filter((event) => event.event === 'load')).toHaveLength(1);
  });
});

describe('cancellation', () => {
  let lab: Lab;
  beforeAll(async () => (lab = await startLab({ WORKERS_PER_DEVICE: '1', MAX_QUEUE: '4' })));
  afterAll(() => lab.close());

  it('a client that disconnects stops its running work and frees the worker for the next request', async () => {
    const client = new AbortController();
    const running = lab.speak('lab-sleep', { sleep_ms: 60_000, tag: 'long' }, client.signal).catch(() => undefined);
    await waitFor(() => lab.events().some((event) => event.tag === 'long' && event.event === 'start'));
    client.abort();
    await running;
    const next = await lab.speak('lab-sleep', { sleep_ms: 0, tag: 'next' });
    expect(next.status).toBe(200);
    const order = lab.events().map((event) => `${event.tag}:${event.event}`);
    expect(order).toContain('long:cancelled');
    expect(order.indexOf('long:cancelled')).toBeLessThan(order.indexOf('next:start'));
  });

  it('a queued request whose client leaves never runs', async () => {
    const busy = lab.speak('lab-sleep', { sleep_ms: 800, tag: 'busy' });
    await waitFor(() => lab.events().some((event) => event.tag === 'busy' && event.event === 'start'));
    const client = new AbortController();
    const queued = lab.speak('lab-sleep', { sleep_ms: 0, tag: 'queued' }, client.signal).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.abort();
    await queued;
    expect((await busy).status).toBe(200);
    expect((await lab.speak('lab-sleep', { tag: 'after' })).status).toBe(200);
    expect(lab.events().filter((event) => event.tag === 'queued')).toEqual([]);
  });
});

describe('failures stay with their own request', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ WORKERS_PER_DEVICE: '2', REQUEST_TIMEOUT_MS: '3000', PRELOAD_MODELS: 'lab-sleep' });
    await waitUntilReady(lab.server.url);
  });
  afterAll(() => lab.close());

  it.each([
    ['lab-throw', 500, 'server_error', null],
    ['lab-exit', 500, 'server_error', null],
    ['lab-hang', 504, 'server_error', 'timeout'],
  ])('%s fails with %i while a request beside it succeeds, and the pool recovers', async (model, status, type, code) => {
    const [failed, beside] = await Promise.all([lab.speak(model), lab.speak('lab-sleep', { sleep_ms: 300 })]);
    expect(failed.status).toBe(status);
    expect(await errorOf(failed)).toMatchObject({ type, code });
    expect(beside.status).toBe(200);
    // Both workers serve again (the one that died or hung has been replaced).
    const after = await Promise.all([lab.speak('lab-sleep', { sleep_ms: 200 }), lab.speak('lab-sleep', { sleep_ms: 200 })]);
    expect(after.map((response) => response.status)).toEqual([200, 200]);
  });

  it('counts the replaced workers in /metrics', async () => {
    // lab-exit's worker exited and lab-hang's was terminated; replacements are counted as they come up.
    await waitForMetric(lab, /ap_worker_restarts_total\{device="cpu:0"\} 2\n/);
  });
});

describe('a worker that dies mid-request with requests queued behind it', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ WORKERS_PER_DEVICE: '1', MAX_QUEUE: '4', PRELOAD_MODELS: 'lab-sleep' });
    await waitUntilReady(lab.server.url);
  });
  afterAll(() => lab.close());

  it('answers the dead one a clean 500 and serves the queued ones on the replacement worker', async () => {
    const dying = lab.speak('lab-exit', { tag: 'dying', sleep_ms: 500 });
    await waitFor(() => lab.events().some((event) => event.tag === 'dying' && event.event === 'start'));
    // The only worker is busy dying: these wait in its queue and must not be lost with it.
    const queued = await Promise.all([dying, ...[0, 1, 2].map((i) => lab.speak('lab-sleep', { sleep_ms: 50, tag: `queued-${i}` }))]);
    const [failed, ...served] = queued;
    expect(failed.status).toBe(500);
    expect(await errorOf(failed)).toMatchObject({ type: 'server_error', code: null });
    expect(served.map((response) => response.status)).toEqual([200, 200, 200]);
    const threads = new Set(lab.events().filter((event) => event.tag?.startsWith('queued-')).map((event) => event.threadId));
    const dyingThread = lab.events().find((event) => event.tag === 'dying')!.threadId;
    expect(threads.has(dyingThread)).toBe(false);
  });
});

describe('model lifecycle', () => {
  it('MODEL_TTL_S=0 unloads right after use and loads again on the next request', async () => {
    const lab = await startLab({ WORKERS_PER_DEVICE: '1', MODEL_TTL_S: '0' });
    try {
      expect((await lab.speak('lab-onnx')).status).toBe(200);
      await waitFor(() => lab.events().some((event) => event.event === 'dispose'));
      const model = (await lab.server.client.models.retrieve('lab-onnx')) as unknown as { loaded: Record<string, number> };
      expect(model.loaded).toEqual({});
      expect((await lab.speak('lab-onnx')).status).toBe(200);
      await waitFor(() => lab.events().filter((event) => event.event === 'dispose').length === 2);
      expect(lab.events().map((event) => event.event)).toEqual(['load', 'start', 'end', 'dispose', 'load', 'start', 'end', 'dispose']);
    } finally {
      await lab.close();
    }
  });

  it('preloads into every worker; /readyz waits for it; /v1/models says where the model is', async () => {
    const lab = await startLab({ WORKERS_PER_DEVICE: '2', PRELOAD_MODELS: 'lab-slowload', MODEL_TTL_S: '0' });
    try {
      expect((await fetch(`${lab.server.url}/readyz`)).status).toBe(503);
      await waitUntilReady(lab.server.url);
      expect(lab.events().filter((event) => event.event === 'load')).toHaveLength(2);
      const model = (await lab.server.client.models.retrieve('lab-slowload')) as unknown as { loaded: Record<string, number> };
      expect(model.loaded).toEqual({ 'cpu:0': 2 });
      // Pinned: a use does not unload a preloaded model even with MODEL_TTL_S=0.
      expect((await lab.speak('lab-slowload')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(lab.events().some((event) => event.event === 'dispose')).toBe(false);
    } finally {
      await lab.close();
    }
  });

  it('two concurrent first requests in one worker share one load', async () => {
    const lab = await startLab({ WORKERS_PER_DEVICE: '1' });
    try {
      const responses = await Promise.all([lab.speak('lab-slowload'), lab.speak('lab-slowload')]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      expect(lab.events().filter((event) => event.event === 'load')).toHaveLength(1);
    } finally {
      await lab.close();
    }
  });
});

describe('devices', () => {
  it('sends concurrent work to the least-loaded device', async () => {
    const lab = await startLab({ DEVICES: 'cpu:0,cpu:1', WORKERS_PER_DEVICE: '1' });
    try {
      const responses = await Promise.all([lab.speak('lab-onnx', { iterations: 200, tag: 'a' }), lab.speak('lab-onnx', { iterations: 200, tag: 'b' })]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      const devices = new Set(lab.events().filter((event) => event.event === 'start').map((event) => event.device));
      expect([...devices].sort()).toEqual(['cpu:0', 'cpu:1']);
    } finally {
      await lab.close();
    }
  });

  it('refuses to start on a CUDA device this machine cannot use, saying why and how to fix it', async () => {
    await expect(startLab({ DEVICES: 'cuda:0' })).rejects.toThrow(/cuda:0.*CUDA provider.*DEVICES=cpu/s);
  });
});

describe('/metrics', () => {
  it('exports request, queue, model and audio metrics in Prometheus format', async () => {
    const lab = await startLab({ WORKERS_PER_DEVICE: '1' });
    try {
      const speech = await lab.speak('lab-onnx');
      expect(speech.status).toBe(200);
      // The request is counted when its response has ended.
      await speech.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const response = await fetch(`${lab.server.url}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(/ap_http_requests_total\{route="\/v1\/audio\/speech",method="POST",status="200",model="lab-onnx"\} 1/);
      expect(text).toMatch(/ap_model_loads_total\{device="cpu:0",model="lab-onnx"\} 1/);
      expect(text).toMatch(/ap_audio_output_seconds_total\{model="lab-onnx"\} 0\.1/);
      expect(text).toMatch(/ap_speech_time_to_first_audio_seconds_count\{model="lab-onnx"\} 1/);
      expect(text).toMatch(/ap_queue_wait_seconds_count\{device="cpu:0"\} 1/);
      expect(text).toMatch(/ap_in_flight\{device="cpu:0"\} 0/);
      expect(text).toMatch(/ap_real_time_factor_count\{model="lab-onnx",task="speech"\} 1/);
    } finally {
      await lab.close();
    }
  });
});
