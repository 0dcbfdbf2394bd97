// Scanning JSON text for what JSON.parse hides: string tokens, and keys an object repeats.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

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

/** One open object (its keys so far) or array (its elements so far) while scanning. */
interface Open {
  readonly path: string;
  readonly keys: Set<string> | null;
  expectKey: boolean;
  lastKey: string;
  elements: number;
}

/**
 * The first key that an object of `text` (valid JSON: call it after JSON.parse accepted the
 * text) holds twice, as a path (`layers[2].units`), or undefined. JSON.parse keeps the last of
 * repeated keys without a word, so `{ "units": 10, "units": 20 }` would silently mean 20.
 * @example findDuplicateKey('{"layers": [{"units": 1, "units": 2}]}') // "layers[0].units"
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: Open[] = [];
  const childPath = (parent: Open | undefined): string => {
    if (parent === undefined) return "";
    if (parent.keys === null) return `${parent.path}[${parent.elements}]`;
    return parent.path === "" ? parent.lastKey : `${parent.path}.${parent.lastKey}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.expectKey) {
        const key = decodeKey(text, i, end) ?? "";
        if (top.keys!.has(key)) return top.path === "" ? key : `${top.path}.${key}`;
        top.keys!.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end - 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const object = c === OPEN_OBJECT;
      stack.push({
        path: childPath(top), keys: object ? new Set() : null, expectKey: object, lastKey: "",
        elements: 0,
      });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA && top !== undefined) {
      if (top.keys !== null) top.expectKey = true;
      else top.elements++;
    }
  }
  return undefined;
}

/** The problem of a key at `path` that the text repeats, for an error message. */
export function duplicateKeyMessage(path: string): string {
  return `${path} appears twice; JSON would silently keep the last value, so remove one of them`;
}
