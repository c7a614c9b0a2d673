import * as os from 'node:os';
import { assertDevicesUsable, DeviceUnavailableError, ortOptionsFor, parseDevices, workersFor, type OrtSettings } from '../../src/engine/devices';

const SETTINGS: OrtSettings = { providerOptions: {}, intraOpThreads: 0, graphOptimizationLevel: 'all' };

describe('DEVICES', () => {
  it('parses cpu and cuda devices with ordinals', () => {
    expect(parseDevices(['cpu', 'cuda:1', 'cpu:2'])).toEqual([
      { id: 'cpu:0', kind: 'cpu', index: 0 },
      { id: 'cuda:1', kind: 'cuda', index: 1 },
      { id: 'cpu:2', kind: 'cpu', index: 2 },
    ]);
  });

  it('rejects unknown devices and duplicates with a message naming them', () => {
    expect(() => parseDevices(['gpu0'])).toThrow(/'gpu0' is not a device/);
    expect(() => parseDevices(['cuda', 'cuda:0'])).toThrow(/cuda:0 is listed twice/);
    expect(() => parseDevices([])).toThrow(/at least one device/);
  });
});

describe('onnxruntime options per device', () => {
  it('pins a CUDA device to its ordinal with the operator options, CPU only for the operators CUDA lacks', () => {
    const [device] = parseDevices(['cuda:1']);
    const options = ortOptionsFor(device, { ...SETTINGS, providerOptions: { cuda: { cudnn_conv_algo_search: 'DEFAULT' }, 'cuda:1': { gpu_mem_limit: 1024 } } }, 0);
    expect(options.executionProviders).toEqual([{ name: 'cuda', deviceId: 1, cudnn_conv_algo_search: 'DEFAULT', gpu_mem_limit: 1024 }, { name: 'cpu' }]);
  });

  it('shares the cores between CPU workers so they never oversubscribe', () => {
    const [device] = parseDevices(['cpu']);
    const workers = 4;
    const threads = ortOptionsFor(device, SETTINGS, workers).intraOpNumThreads;
    expect(threads).toBe(Math.max(1, Math.floor(os.availableParallelism() / workers)));
    expect(ortOptionsFor(device, { ...SETTINGS, intraOpThreads: 3 }, workers).intraOpNumThreads).toBe(3);
  });

  it('defaults workers to half the cores per CPU device and two per GPU', () => {
    const [cpu, cuda] = parseDevices(['cpu', 'cuda:0']);
    expect(workersFor(cpu, 0, 1)).toBe(Math.max(1, Math.floor(os.availableParallelism() / 2)));
    expect(workersFor(cuda, 0, 1)).toBe(2);
    expect(workersFor(cpu, 5, 1)).toBe(5);
  });
});

describe('start-up check of CUDA devices', () => {
  it('probes each CUDA device with the CUDA provider alone and explains a failure', async () => {
    const probed: string[][] = [];
    const devices = parseDevices(['cpu', 'cuda:0']);
    const failing = async (_device: unknown, options: { executionProviders: Array<{ name: string }> }) => {
      probed.push(options.executionProviders.map((provider) => provider.name));
      throw new Error('Failed to load shared library\nmore detail');
    };
    const error = await assertDevicesUsable(devices, (device) => ortOptionsFor(device, SETTINGS, 1), failing).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(DeviceUnavailableError);
    expect((error as Error).message).toMatch(/cuda:0.*Failed to load shared library\..*--onnxruntime-node-install=cuda12.*DEVICES=cpu/s);
    expect(probed).toEqual([['cuda']]);
  });
});
