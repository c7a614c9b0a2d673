/**
 * Multipart fields arrive as strings (the SDK sends `String(value)`); these turn them into typed values and leave
 * anything unparseable as it is, so validation reports it.
 */
export function toNumber({ value }: { value: unknown }): unknown {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}

export function toBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/** `x[]=a&x[]=b`, `x=a,b` (Swagger UI) and a single `x=a` all become `['a','b']` / `['a']`. */
export function toStringArray({ value }: { value: unknown }): unknown {
  if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter(Boolean);
  return value;
}
