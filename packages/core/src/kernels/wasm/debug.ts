// Debug switches: TAPEGRAD_DEBUG holds comma-separated topics (e.g. TAPEGRAD_DEBUG=wasm), read
// from the environment where there is one; the output goes to stderr.

/** Whether TAPEGRAD_DEBUG names `topic`. */
export function debugEnabled(topic: string): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } })
    .process?.env;
  const value = env?.TAPEGRAD_DEBUG ?? "";
  return value.split(",").some((t) => t.trim() === topic);
}

/** Writes a debug line to stderr (the console's error stream). */
export function debugLog(text: string): void {
  console.error(text);
}
