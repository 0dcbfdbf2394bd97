// Generates the scans the sparse paths decide by: how many values of an array are nonzero, and
// (in the same pass) how many are not finite, each over a slice so the threads share the work.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";

const { i32, v128 } = ValType;

/**
 * nonzeros(x, count) → the number of values of x[0, count) that are not ±0 (NaN counts),
 * four lanes at a time, the last count mod 4 one by one.
 */
function emitNonzeros(): Code {
  const code = new Code([i32, i32], [i32]);
  const [x, count] = [0, 1];
  const [end4, end, total] = [code.local(i32), code.local(i32), code.local(i32)];
  const acc = code.local(v128);
  code.v128Zero().set(acc).i32(0).set(total);
  code.get(x).get(count).i32(-4).i32And().i32(4).i32Mul().i32Add().set(end4);
  code.get(x).get(count).i32(4).i32Mul().i32Add().set(end);
  code.block(() => code.loop(() => {
    code.get(x).get(end4).i32GeU().brIf(1);
    code.get(acc).get(x).v128Load().v128Zero().f32x4Ne().i32x4Sub().set(acc);
    code.addTo(x, 16);
    code.br(0);
  }));
  code.block(() => code.loop(() => {
    code.get(x).get(end).i32GeU().brIf(1);
    code.get(total).get(x).f32Load().f32(0).f32Ne().i32Add().set(total);
    code.addTo(x, 4);
    code.br(0);
  }));
  for (let l = 0; l < 4; l++) code.get(total).get(acc).i32x4ExtractLane(l).i32Add().set(total);
  code.get(total);
  return code;
}

/** nonzerosInto(x, start, end, out): i32 at out = nonzeros(x + 4·start, end − start). */
function emitNonzerosInto(nonzeros: number): Code {
  const code = new Code([i32, i32, i32, i32]);
  const [x, start, end, out] = [0, 1, 2, 3];
  code.get(out).get(x).get(start).i32(4).i32Mul().i32Add().get(end).get(start).i32Sub()
    .call(nonzeros).i32Store();
  return code;
}

/**
 * scanInto(x, start, end, out): of x[start, end), the number of values that are not ±0 (NaN
 * counts) at i32 out, and at out + 4 the number that are not finite (x − x is +0 for a finite
 * x, NaN otherwise): one pass for a sparse path's count and the finiteness test zero skipping
 * needs. Four lanes at a time, the last (end − start) mod 4 values one by one (splatted).
 */
function emitScanInto(): Code {
  const code = new Code([i32, i32, i32, i32]);
  const [x, start, end, out] = [0, 1, 2, 3];
  const [end4, last, v] = [code.local(i32), code.local(i32), code.local(v128)];
  const [nz, bad] = [code.local(v128), code.local(v128)];
  code.v128Zero().set(nz).v128Zero().set(bad);
  code.get(x).get(end).i32(4).i32Mul().i32Add().set(last);
  code.get(x).get(end).get(start).i32Sub().i32(-4).i32And().get(start).i32Add().i32(4).i32Mul()
    .i32Add().set(end4);
  code.get(x).get(start).i32(4).i32Mul().i32Add().set(x);
  const test = (load: () => void, lanes: Local): void => {
    // Each mask lane is −1 where it holds: subtracting it counts.
    code.get(nz);
    load();
    code.tee(v).v128Zero().f32x4Ne().get(lanes).v128And().i32x4Sub().set(nz);
    code.get(bad).get(v).get(v).f32x4Sub().v128Zero().f32x4Ne().get(lanes).v128And()
      .i32x4Sub().set(bad);
  };
  const [all, first] = [code.local(v128), code.local(v128)];
  code.i32(-1).i32x4Splat().set(all);
  code.f32x4Const([1, 0, 0, 0]).v128Zero().f32x4Ne().set(first); // lane 0 only
  code.block(() => code.loop(() => {
    code.get(x).get(end4).i32GeU().brIf(1);
    test(() => code.get(x).v128Load(), all);
    code.addTo(x, 16).br(0);
  }));
  // The tail: each value splatted, counted in lane 0 only.
  code.block(() => code.loop(() => {
    code.get(x).get(last).i32GeU().brIf(1);
    test(() => code.get(x).v128Load32Splat(), first);
    code.addTo(x, 4).br(0);
  }));
  code.get(out);
  for (let l = 0; l < 4; l++) {
    code.get(nz).i32x4ExtractLane(l);
    if (l > 0) code.i32Add();
  }
  code.i32Store();
  code.get(out);
  for (let l = 0; l < 4; l++) {
    code.get(bad).i32x4ExtractLane(l);
    if (l > 0) code.i32Add();
  }
  code.i32Store(4);
  return code;
}

/** Adds `nonzeros`, `nonzerosInto` and `scanInto` to the module. */
export function addScanFunctions(module: ModuleBuilder): void {
  module.add(emitNonzerosInto(module.add(emitNonzeros(), "nonzeros")), "nonzerosInto");
  module.add(emitScanInto(), "scanInto");
}
