/**
 * A wrong option's value as an error message shows it: strings quoted, so that `"500"` is told
 * apart from `500`, and objects by their kind only (they may be large, or hold secrets).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
