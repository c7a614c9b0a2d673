/**
 * Compute devices and how onnxruntime runs on each: parsed once from DEVICES and ORT_* settings, then handed to
 * every worker of that device's pool. No Nest, no HTTP: the worker threads import this too.
 */
import * as os from 'node:os';
import type { DeviceInfo } from '../../plugins/sdk';

export type { DeviceInfo } from '../../plugins/sdk';

/** `cpu`, `cpu:1`, `cuda`, `cuda:0` … → devices; ids must be unique. */
export function parseDevices(ids: string[]): DeviceInfo[] {
  if (ids.length === 0) throw new Error('expected at least one device, e.g. cpu or cuda:0');
  const devices = ids.map((id) => {
    const match = /^(cpu|cuda)(?::(\d+))?$/.exec(id);
    if (!match) throw new Error(`'${id}' is not a device: use cpu, cpu:N, cuda or cuda:N`);
    const kind = match[1] as DeviceInfo['kind'];
    const index = match[2] === undefined ? 0 : Number(match[2]);
    return { id: `${kind}:${index}`, kind, index };
  });
  const seen = new Set<string>();
  for (const device of devices) {
    if (seen.has(device.id)) throw new Error(`device ${device.id} is listed twice`);
    seen.add(device.id);
  }
  return devices;
}

/** Operator settings that shape every onnxruntime session of one device. */
export interface OrtDeviceOptions {
  /** Execution providers in order, with their options (e.g. `{ name: 'cuda', deviceId: 1 }`). */
  executionProviders: Array<{ name: string } & Record<string, unknown>>;
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface OrtSettings {
  /** Per kind (`cuda`) or per device (`cuda:1`) provider options, device entries winning. */
  providerOptions: Record<string, Record<string, unknown>>;
  /** 0 = share the cores out between the CPU workers. */
  intraOpThreads: number;
  graphOptimizationLevel: OrtDeviceOptions['graphOptimizationLevel'];
}

/**
 * The session options of one device. A CUDA device lists `cuda` first, pinned to its ordinal, and `cpu` after it
 * for the few operators CUDA lacks: that is onnxruntime's normal per-node placement, not a fall-back. Whether the
 * CUDA provider can load at all is checked at start-up (assertProvidersAvailable), so it never silently degrades.
 */
export function ortOptionsFor(device: DeviceInfo, settings: OrtSettings, cpuWorkers: number): OrtDeviceOptions {
  const options = { ...settings.providerOptions[device.kind], ...settings.providerOptions[device.id] };
  const executionProviders: OrtDeviceOptions['executionProviders'] =
    device.kind === 'cuda' ? [{ ...options, name: 'cuda', deviceId: device.index }, { name: 'cpu' }] : [{ ...options, name: 'cpu' }];
  return {
    executionProviders,
    intraOpNumThreads: settings.intraOpThreads > 0 ? settings.intraOpThreads : cpuThreadsPerWorker(device, cpuWorkers),
    // Workers are the unit of parallelism; inside one session, operators run one after another.
    interOpNumThreads: 1,
    graphOptimizationLevel: settings.graphOptimizationLevel,
  };
}

/** CPU workers split the cores between them, so workers × threads never oversubscribes the machine. */
function cpuThreadsPerWorker(device: DeviceInfo, cpuWorkers: number): number {
  // A CUDA worker's CPU work is light (feeding the GPU, the odd CPU operator): one thread is enough.
  if (device.kind === 'cuda') return 1;
  return Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, cpuWorkers)));
}

/** WORKERS_PER_DEVICE=0 → half the cores per CPU device (at least one), two per CUDA device. */
export function workersFor(device: DeviceInfo, configured: number, cpuDevices: number): number {
  if (configured > 0) return configured;
  if (device.kind === 'cuda') return 2;
  return Math.max(1, Math.floor(os.availableParallelism() / 2 / Math.max(1, cpuDevices)));
}

/** Tries to open a session on one device; rejects with onnxruntime's reason when it cannot. */
export type DeviceProbe = (device: DeviceInfo, options: OrtDeviceOptions) => Promise<void>;

/**
 * Start-up check: every CUDA device must really open a session on the CUDA provider (library present, GPU
 * visible). When one cannot, the server stops with the reason and the fix, rather than running on the CPU unasked.
 */
export async function assertDevicesUsable(devices: DeviceInfo[], optionsOf: (device: DeviceInfo) => OrtDeviceOptions, probe: DeviceProbe): Promise<void> {
  for (const device of devices.filter((candidate) => candidate.kind === 'cuda')) {
    const options = optionsOf(device);
    try {
      // The CUDA provider alone: with the CPU provider beside it, a broken CUDA set-up could still look fine.
      await probe(device, { ...options, executionProviders: options.executionProviders.filter((provider) => provider.name === 'cuda') });
    } catch (error) {
      const reason = ((error as Error).message ?? String(error)).split('\n')[0];
      throw new DeviceUnavailableError(
        `DEVICES asks for ${device.id}, but onnxruntime could not open a session on its CUDA provider: ${reason}. ` +
          'Install onnxruntime-node\'s CUDA build (`npm ci --onnxruntime-node-install=cuda12` with network access, as the ' +
          'Dockerfile does), make sure the CUDA 12 runtime and cuDNN 9 libraries are on the library path and the GPU is ' +
          'visible (docker run --gpus all; nvidia-smi lists it), or set DEVICES=cpu.',
      );
    }
  }
}

export class DeviceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceUnavailableError';
  }
}
