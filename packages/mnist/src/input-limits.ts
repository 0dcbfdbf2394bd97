// The bounds on what the CLI and a run read: spec limits and the IDX data size.
/**
 * Bounds on what a run reads: the spec limits of @tapegrad/nn (`maxParameters`, `maxLayers`,
 * `maxSpecBytes` for spec text) and `maxIdxBytes` for each IDX file. Defaults: those of
 * `SPEC_LIMITS` and `IDX_DEFAULT_MAX_BYTES` (docs/limits.md).
 */
export interface InputLimits {
  readonly maxParameters?: number;
  readonly maxLayers?: number;
  readonly maxSpecBytes?: number;
  readonly maxIdxBytes?: number;
}

/** The spec options of `limits` (for parseSpec, fromSpec and loadCheckpoint). */
export function specLimits(limits: InputLimits = {}): {
  maxParameters?: number; maxLayers?: number; maxBytes?: number;
} {
  const { maxParameters, maxLayers, maxSpecBytes: maxBytes } = limits;
  return Object.fromEntries(Object.entries({ maxParameters, maxLayers, maxBytes })
    .filter(([, v]) => v !== undefined));
}
