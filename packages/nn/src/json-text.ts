// Scanning JSON text for what JSON.parse hides: string tokens, and keys an object repeats.

// The character codes the scanners look for outside strings (and the escape inside).
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const OPEN_OBJECT = 0x7b;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_OBJECT = 0x7d;
export const CLOSE_ARRAY = 0x5d;
export const COMMA = 0x2c;

/** Index just past the string starting at `start` (a quote), or the text's end if unclosed. */
export function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return text.length;
}

/** The key a string token stands for, or undefined for a broken escape (JSON.parse says). */
export function decodeKey(text: string, start: number, end: number): string | undefined {
  const raw = text.slice(start + 1, end - 1);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}

/** One open object (its keys, once it has one) or array (its elements so far) while scanning. */
interface Open {
  keys: Set<string> | null;
  readonly object: boolean;
  expectKey: boolean;
  lastKey: string;
  elements: number;
}

/**
 * Containers nested deeper than this are not scanned for repeats (only counted): no spec field
 * nests beyond a few levels, and the schema refuses such values, so memory stays bounded
 * however deep the text nests.
 */
const TRACKED_DEPTH = 256;

/**
 * The first key that an object of `text` (valid JSON: call it after JSON.parse accepted the
 * text) holds twice, as a path (`layers[2].units`), or undefined. JSON.parse keeps the last of
 * repeated keys without a word, so `{ "units": 10, "units": 20 }` would silently mean 20.
 * Objects nested deeper than 256 levels are not looked into.
 * @example findDuplicateKey('{"layers": [{"units": 1, "units": 2}]}') // "layers[0].units"
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: Open[] = [];
  let untracked = 0; // levels open beyond TRACKED_DEPTH
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = untracked > 0 ? undefined : stack[stack.length - 1];
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.expectKey) {
        const key = decodeKey(text, i, end) ?? "";
        top.keys ??= new Set();
        if (top.keys.has(key)) return pathOf(stack, key);
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end - 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const object = c === OPEN_OBJECT;
      if (untracked > 0 || stack.length === TRACKED_DEPTH) untracked++;
      else stack.push({ keys: null, object, expectKey: object, lastKey: "", elements: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (untracked > 0) untracked--;
      else stack.pop();
    } else if (c === COMMA && top !== undefined) {
      if (top.object) top.expectKey = true;
      else top.elements++;
    }
  }
  return undefined;
}

/** `layers[2].units` for `key` in the innermost open object; long or odd keys quoted, cut. */
function pathOf(stack: readonly Open[], key: string): string {
  const name = (k: string, first: boolean): string => {
    if (/^[A-Za-z_$][\w$]{0,39}$/.test(k)) return first ? k : `.${k}`;
    const shown = k.length > 40 ? `${k.slice(0, 40)}…` : k;
    return `[${JSON.stringify(shown)}]`;
  };
  let path = "";
  for (let d = 0; d < stack.length; d++) {
    const last = d === stack.length - 1;
    const frame = stack[d];
    if (last) path += name(key, path === "");
    else path += frame.object ? name(frame.lastKey, path === "") : `[${frame.elements}]`;
  }
  return path;
}

/** The problem of a key at `path` that the text repeats, for an error message. */
export function duplicateKeyMessage(path: string): string {
  return `${path} appears twice; JSON would silently keep the last value, so remove one of them`;
}
