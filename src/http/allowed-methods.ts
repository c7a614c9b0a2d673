import type { Application } from 'express';

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The methods the app serves at `path`, read from Express's router. Lets an unknown-method request get 405 with
 * an Allow header instead of a misleading 404.
 */
export function allowedMethods(app: Application, path: string): string[] {
  const stack = ((app as unknown as { router?: { stack: RouteLayer[] } }).router?.stack ?? []) as RouteLayer[];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    try {
      if (!layer.match(path)) continue;
    } catch {
      continue;
    }
    for (const [method, enabled] of Object.entries(layer.route.methods)) if (enabled && method !== '_all') methods.add(method.toUpperCase());
  }
  return [...methods].sort();
}
