const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration as milliseconds: a number is seconds (`30`, `0.5`), a string carries
 * its unit (`"500ms"`, `"30s"`, `"2m"`, `"1h"`). Returns undefined when `value` is
 * neither.
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1_000,
  kb: 1_000,
  ki: 1_024,
  kib: 1_024,
  m: 1_000_000,
  mb: 1_000_000,
  mi: 1_024 ** 2,
  mib: 1_024 ** 2,
  g: 1_000_000_000,
  gb: 1_000_000_000,
  gi: 1_024 ** 3,
  gib: 1_024 ** 3,
};

/**
 * Reads a size as bytes: a number is bytes (`1048576`), a string may carry a unit,
 * binary (`"256Mi"`, `"1Gi"`, `"64Ki"`) or decimal (`"500M"`, `"1G"`). Returns undefined
 * when `value` is neither.
 */
export function parseSizeBytes(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size for people: `256Mi`, `1.5Gi`, `512` (bytes). */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ["Gi", 1_024 ** 3],
    ["Mi", 1_024 ** 2],
    ["Ki", 1_024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))}${unit}`;
  }
  return String(bytes);
}
