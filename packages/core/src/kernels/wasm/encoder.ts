// Minimal WebAssembly binary encoder: LEB128, an instruction builder and a module writer.

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
 * Builds one function body. Methods append instructions and return `this`, so a kernel reads as
 * a chain. Memory offsets are in bytes; alignments are log2 of the byte alignment.
 */
export class Code {
  readonly bytes: number[] = [];
  private readonly declared: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValType): Local {
    this.declared.push(type);
    return this.params.length + this.declared.length - 1;
  }

  /** Appends raw bytes. */
  raw(...bytes: number[]): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }

  private simd(op: number, ...imm: number[]): this {
    return this.raw(0xfd, ...uleb(op), ...imm);
  }

  private mem(op: number[], offset: number, align: number): this {
    return this.raw(...op, ...uleb(align), ...uleb(offset));
  }

  // Control flow. `body` callbacks emit the nested instructions.
  block(body: () => void): this { this.raw(0x02, 0x40); body(); return this.raw(0x0b); }
  loop(body: () => void): this { this.raw(0x03, 0x40); body(); return this.raw(0x0b); }
  if(then: () => void, otherwise?: () => void): this {
    this.raw(0x04, 0x40);
    then();
    if (otherwise) { this.raw(0x05); otherwise(); }
    return this.raw(0x0b);
  }
  br(depth: number): this { return this.raw(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.raw(0x0d, ...uleb(depth)); }
  call(index: number): this { return this.raw(0x10, ...uleb(index)); }
  drop(): this { return this.raw(0x1a); }
  select(): this { return this.raw(0x1b); }

  /** while (i < end) { body(); i += step }, with i already initialised. */
  forLoop(i: Local, end: Local, step: number | { local: Local }, body: () => void): this {
    return this.block(() => this.loop(() => {
      this.get(i).get(end).i32GeS().brIf(1);
      body();
      this.addTo(i, step).br(0);
    }));
  }

  /** x += step, with step a constant or a local. */
  addTo(x: Local, step: number | { local: Local }): this {
    this.get(x);
    if (typeof step === "number") this.i32(step); else this.get(step.local);
    return this.i32Add().set(x);
  }

  // Variables.
  get(x: Local): this { return this.raw(0x20, ...uleb(x)); }
  set(x: Local): this { return this.raw(0x21, ...uleb(x)); }
  tee(x: Local): this { return this.raw(0x22, ...uleb(x)); }

  // Scalar memory access.
  i32Load(offset = 0): this { return this.mem([0x28], offset, 2); }
  f32Load(offset = 0): this { return this.mem([0x2a], offset, 2); }
  f32Store(offset = 0): this { return this.mem([0x38], offset, 2); }
  i32Store(offset = 0): this { return this.mem([0x36], offset, 2); }

  // i32 arithmetic and comparisons.
  i32(value: number): this { return this.raw(0x41, ...sleb(value)); }
  i32Eqz(): this { return this.raw(0x45); }
  i32Eq(): this { return this.raw(0x46); }
  i32Ne(): this { return this.raw(0x47); }
  i32LtS(): this { return this.raw(0x48); }
  i32GtS(): this { return this.raw(0x4a); }
  i32LeS(): this { return this.raw(0x4c); }
  i32GeS(): this { return this.raw(0x4e); }
  i32GeU(): this { return this.raw(0x4f); }
  i32LtU(): this { return this.raw(0x49); }
  i32Add(): this { return this.raw(0x6a); }
  i32Sub(): this { return this.raw(0x6b); }
  i32Mul(): this { return this.raw(0x6c); }
  i32DivU(): this { return this.raw(0x6e); }
  i32RemU(): this { return this.raw(0x70); }
  i32And(): this { return this.raw(0x71); }
  /** Trailing zero bits (32 for 0). */
  i32Ctz(): this { return this.raw(0x68); }
  i32Or(): this { return this.raw(0x72); }
  i32Shl(): this { return this.raw(0x74); }
  i32ShrU(): this { return this.raw(0x76); }

  // f32 scalar arithmetic.
  f32(value: number): this {
    const b = new Uint8Array(new Float32Array([value]).buffer);
    return this.raw(0x43, ...b);
  }
  f64(value: number): this {
    const b = new Uint8Array(new Float64Array([value]).buffer);
    return this.raw(0x44, ...b);
  }
  f32Add(): this { return this.raw(0x92); }
  f32Lt(): this { return this.raw(0x5d); }
  /** i32 → f32 (exact below 2^24). */
  f32ConvertI32S(): this { return this.raw(0xb2); }
  /** f32 → i32, truncated (traps on NaN or out of range). */
  i32TruncF32S(): this { return this.raw(0xa8); }
  f32Gt(): this { return this.raw(0x5e); }
  f32Le(): this { return this.raw(0x5f); }
  /** True for unequal values and for NaN; −0 equals +0. */
  f32Ne(): this { return this.raw(0x5c); }
  f64Mul(): this { return this.raw(0xa2); }
  /** f32 → f64 (exact). */
  f64PromoteF32(): this { return this.raw(0xbb); }
  /** f64 → f32, rounded to nearest. */
  f32DemoteF64(): this { return this.raw(0xb6); }

  // Bulk memory.
  memoryFill(): this { return this.raw(0xfc, ...uleb(11), 0x00); }
  memoryCopy(): this { return this.raw(0xfc, ...uleb(10), 0x00, 0x00); }

  // SIMD (0xFD prefix).
  v128Load(offset = 0): this { return this.mem([0xfd, ...uleb(0x00)], offset, 4); }
  v128Load32Splat(offset = 0): this { return this.mem([0xfd, ...uleb(0x09)], offset, 2); }
  v128Store(offset = 0): this { return this.mem([0xfd, ...uleb(0x0b)], offset, 4); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  /** A v128 constant of four f32 lanes. */
  f32x4Const(lanes: readonly [number, number, number, number]): this {
    return this.simd(0x0c, ...new Uint8Array(new Float32Array(lanes).buffer));
  }
  i8x16Shuffle(lanes: readonly number[]): this { return this.simd(0x0d, ...lanes); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f, lane); }
  i32x4ExtractLane(lane: number): this { return this.simd(0x1b, lane); }
  v128And(): this { return this.simd(0x4e); }
  f32x4Gt(): this { return this.simd(0x44); }
  f32x4Le(): this { return this.simd(0x45); }
  f32x4Ne(): this { return this.simd(0x42); }
  f32x4Eq(): this { return this.simd(0x41); }
  /** 1 if any bit of the vector is set, else 0. */
  v128AnyTrue(): this { return this.simd(0x53); }
  v128Or(): this { return this.simd(0x50); }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Sqrt(): this { return this.simd(0xef); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Abs(): this { return this.simd(0xec); }
  f64x2Neg(): this { return this.simd(0xed); }
  /** Lane-wise maximum; NaN in either lane gives NaN. */
  f64x2Max(): this { return this.simd(0xf5); }
  f64x2Nearest(): this { return this.simd(0x94); }
  f64x2Gt(): this { return this.simd(0x4a); }
  f64x2Ge(): this { return this.simd(0x4c); }
  /** f64x2 truncated to i32 lanes 0–1 (saturating; NaN → 0); lanes 2–3 zero. */
  i32x4TruncSatF64x2SZero(): this { return this.simd(0xfc); }
  i32x4Splat(): this { return this.simd(0x11); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Sub(): this { return this.simd(0xb1); }
  /** Bit i set when lane i's top bit is (a comparison's true lanes). */
  i32x4Bitmask(): this { return this.simd(0xa4); }
  /** i32 lanes 0–1 sign-extended to i64x2. */
  i64x2ExtendLowI32x4S(): this { return this.simd(0xc7); }
  i64x2Shl(): this { return this.simd(0xcb); }
  /** Lanes 0–1 of an f32x4 as f64x2 (exact). */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  /** An f64x2 rounded to lanes 0–1 of an f32x4; lanes 2–3 are zero. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  /** Lanes of the first operand where the mask (third) has ones, else of the second. */
  v128Bitselect(): this { return this.simd(0x52); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** Relaxed SIMD: a·b + c with stack order a, b, c; may or may not round once. */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }

  /** The encoded body: local declarations, instructions and the final `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.declared.length;) {
      let j = i;
      while (j < this.declared.length && this.declared[j] === this.declared[i]) j++;
      groups.push([...uleb(j - i), this.declared[i]]);
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
  private readonly functions: { code: Code; exportName?: string; name?: string }[] = [];

  constructor(private readonly memory: MemoryImport) {}

  /**
   * Adds a function and returns its index (there are no imported functions). `name` labels an
   * internal function in `functionSizes` (an exported one goes by its export name).
   */
  add(code: Code, exportName?: string, name?: string): number {
    this.functions.push({ code, exportName, name });
    return this.functions.length - 1;
  }

  /** Each function's name (export name, label or index) and its encoded body size in bytes. */
  functionSizes(): Array<{ name: string; bytes: number }> {
    return this.functions.map(({ code, exportName, name }, index) => ({
      name: exportName ?? name ?? `#${index}`, bytes: code.encode().length,
    }));
  }

  /** Index the next added function will get, for forward calls. */
  get nextIndex(): number {
    return this.functions.length;
  }

  encode(): Uint8Array {
    const types: number[][] = [];
    const typeKeys: string[] = [];
    const funcTypes = this.functions.map(({ code }) => {
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
    const exports = this.functions.flatMap(({ exportName }, index) =>
      exportName === undefined ? [] : [[...utf8(exportName), 0x00, ...uleb(index)]]);
    const section = (id: number, content: number[]): number[] =>
      [id, ...uleb(content.length), ...content];
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vec(types)),
      ...section(2, vec([memImport])),
      ...section(3, vec(funcTypes.map((t) => uleb(t)))),
      ...section(7, vec(exports)),
      ...section(10, vec(this.functions.map(({ code }) => code.encode()))),
    ];
    return new Uint8Array(bytes);
  }
}
