import type { DevicePool } from './device-pool';

/**
 * Picks the device pool for a request: the least loaded (running + queued work per worker); on a tie, the one
 * where the model is already loaded, so a cold device is only warmed up when it takes load off the others.
 */
export function leastLoaded(pools: DevicePool[], model: string): DevicePool {
  let best = pools[0];
  for (const pool of pools.slice(1)) {
    const difference = pool.load() - best.load();
    if (difference < 0 || (difference === 0 && pool.loadedCount(model) > best.loadedCount(model))) best = pool;
  }
  return best;
}
