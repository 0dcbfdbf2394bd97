// WebAssembly binary basics: value types, LEB128, a function body and the module writer.

/** Value types used by the generated kernels. */
export const ValType = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128 encoding of a non-negative integer below 2³². */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`uleb: value must be an integer in [0, 2^32); got ${value}`);
  }
  const out: number[] = [];
  let v = value;
  do {
    const byte = v % 128;
    v = Math.floor(v / 128);
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 encoding of an integer in the i32 range. */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`sleb: value must be an i32; got ${value}`);
  }
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    // Done when the remaining bits are all copies of the sign bit just written.
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Index of a function-local variable (parameters first, then declared locals). */
export type Local = number;

/**
 * One function body: its signature, declared locals and instruction bytes. The generators
 * append to it with `emit` and the structured helpers of instructions.ts (`Code` in
 * encoder.ts adds one method per instruction on top).
 */
export class Body {
  readonly bytes: number[] = [];
  readonly #declared: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValType): Local {
    this.#declared.push(type);
    return this.params.length + this.#declared.length - 1;
  }

  /** Declares `count` new locals of `type` and returns their indices, in order. */
  locals(type: ValType, count: number): Local[] {
    return Array.from({ length: count }, () => this.local(type));
  }

  /** The encoded body: local declarations, instructions and the final `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.#declared.length;) {
      let j = i;
      while (j < this.#declared.length && this.#declared[j] === this.#declared[i]) j++;
      groups.push([...uleb(j - i), this.#declared[i]]);
      i = j;
    }
    const body = [...vec(groups), ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/** Memory import description: pages of 64 KiB; `shared` requires a maximum. */
export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number;
  shared: boolean;
}

/** Writes a module with one imported memory and a list of exported or internal functions. */
export class ModuleBuilder {
  readonly #functions: { code: Body; exportName?: string; name?: string }[] = [];

  constructor(private readonly memory: MemoryImport) {}

  /**
   * Adds a function and returns its index (there are no imported functions). `name` labels an
   * internal function in `functionSizes` (an exported one goes by its export name).
   */
  add(code: Body, exportName?: string, name?: string): number {
    this.#functions.push({ code, exportName, name });
    return this.#functions.length - 1;
  }

  /** Each function's name (export name, label or index) and its encoded body size in bytes. */
  functionSizes(): Array<{ name: string; bytes: number }> {
    return this.#functions.map(({ code, exportName, name }, index) => ({
      name: exportName ?? name ?? `#${index}`, bytes: code.encode().length,
    }));
  }

  /** Index the next added function will get, for forward calls. */
  get nextIndex(): number {
    return this.#functions.length;
  }

  encode(): Uint8Array {
    const types: number[][] = [];
    const typeKeys: string[] = [];
    const funcTypes = this.#functions.map(({ code }) => {
      const t = [0x60, ...vec(code.params.map((p) => [p])), ...vec(code.results.map((r) => [r]))];
      const key = t.join(",");
      let index = typeKeys.indexOf(key);
      if (index < 0) { index = typeKeys.length; typeKeys.push(key); types.push(t); }
      return index;
    });
    const m = this.memory;
    const limits = m.shared ? [0x03] : [0x01];
    const memImport = [
      ...utf8(m.module), ...utf8(m.name), 0x02, ...limits, ...uleb(m.initial), ...uleb(m.maximum),
    ];
    const exports = this.#functions.flatMap(({ exportName }, index) =>
      exportName === undefined ? [] : [[...utf8(exportName), 0x00, ...uleb(index)]]);
    const section = (id: number, content: number[]): number[] =>
      [id, ...uleb(content.length), ...content];
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vec(types)),
      ...section(2, vec([memImport])),
      ...section(3, vec(funcTypes.map((t) => uleb(t)))),
      ...section(7, vec(exports)),
      ...section(10, vec(this.#functions.map(({ code }) => code.encode()))),
    ];
    return new Uint8Array(bytes);
  }
}
