// Gradient checks for the shape and indexing ops: reshape, permute, transpose, broadcastTo,
// squeeze/unsqueeze, slice, gather, concat and stack.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad } from "../src/functional.js";
import {
  broadcastTo, concat, gather, permute, reshape, slice, squeeze, stack, sum, transpose, unsqueeze,
} from "../src/ops/all.js";
import { Tensor } from "../src/tensor.js";
import { gradcheck } from "../src/testing/index.js";

const RUNS = { numRuns: 40 };
const dim = fc.integer({ min: 1, max: 5 });
const shapeArb = (minRank = 0, maxRank = 4) =>
  fc.array(dim, { minLength: minRank, maxLength: maxRank });
const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);
const stridesOf = (shape: readonly number[]) =>
  shape.map((_, d) => size(shape.slice(d + 1)));

const valuesArb = (shape: readonly number[]) =>
  fc
    .array(fc.double({ min: -3, max: 3, noNaN: true }), {
      minLength: size(shape), maxLength: size(shape),
    })
    // NOTE: -0 becomes +0 (concat writes by adding into zeros), so draw no -0.
    .map((v) => new Tensor(Float64Array.from(v, (e) => e + 0), shape));

const tensorArb = (minRank = 0, maxRank = 4) => shapeArb(minRank, maxRank).chain(valuesArb);

function expectGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const report = gradcheck(f, inputs);
  expect(report.ok).toBe(true);
  const grads = grad((...xs: Tensor[]) => sum(f(...xs)), inputs.map((_, i) => i))(...inputs);
  grads.forEach((g, i) => expect(g.shape).toEqual(inputs[i].shape));
}

/** Element of x at a multi-index (plain row-major arithmetic, independent of the ops). */
const at = (x: Tensor, index: readonly number[]) =>
  x.data[index.reduce((o, i, d) => o + i * stridesOf(x.shape)[d], 0)];

const unravel = (flat: number, shape: readonly number[]) =>
  stridesOf(shape).map((s, d) => Math.floor(flat / s) % shape[d]);

describe("reshape, permute, transpose: vjp matches central differences", () => {
  it("reshape to a shuffled, partly merged shape with one -1", () => {
    const arb = tensorArb().chain((x) =>
      fc.record({
        x: fc.constant(x),
        dims: fc.shuffledSubarray([...x.shape], { minLength: x.rank, maxLength: x.rank }),
        merge: fc.boolean(),
        unknown: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ x, dims, merge, unknown }) => {
        const target = merge && dims.length >= 2 ? [dims[0] * dims[1], ...dims.slice(2)] : dims;
        const withUnknown = target.map((d, i) => (i === unknown % target.length ? -1 : d));
        const y = reshape(x, withUnknown);
        expect(y.shape).toEqual(target);
        expect(Array.from(y.data)).toEqual(Array.from(x.data));
        expectGradients((t) => reshape(t, withUnknown), [x]);
      }),
      RUNS,
    );
  });

  it("permute by a random permutation", () => {
    const arb = tensorArb(1).chain((x) =>
      fc.record({
        x: fc.constant(x),
        perm: fc.shuffledSubarray(x.shape.map((_, i) => i), {
          minLength: x.rank, maxLength: x.rank,
        }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ x, perm }) => {
        const y = permute(x, perm);
        expect(y.shape).toEqual(perm.map((p) => x.shape[p]));
        for (let e = 0; e < y.size; e++) {
          const index = unravel(e, y.shape);
          const source = new Array<number>(x.rank);
          perm.forEach((p, i) => (source[p] = index[i]));
          expect(y.data[e]).toBe(at(x, source));
        }
        expectGradients((t) => permute(t, perm), [x]);
      }),
      RUNS,
    );
  });

  it("transpose of two random axes (negative allowed)", () => {
    const arb = tensorArb(1).chain((x) => {
      const axis = fc.integer({ min: -x.rank, max: x.rank - 1 });
      return fc.tuple(fc.constant(x), axis, axis);
    });
    fc.assert(
      fc.property(arb, ([x, a, b]) => {
        const y = transpose(x, a, b);
        const [p, q] = [a, b].map((d) => (d < 0 ? d + x.rank : d));
        const expected = [...x.shape];
        [expected[p], expected[q]] = [x.shape[q], x.shape[p]];
        expect(y.shape).toEqual(expected);
        expectGradients((t) => transpose(t, a, b), [x]);
      }),
      RUNS,
    );
  });
});

describe("broadcastTo, squeeze, unsqueeze: vjp matches central differences", () => {
  it("broadcastTo from a shape with dims dropped or set to 1", () => {
    const arb = shapeArb().chain((target) =>
      fc.record({
        target: fc.constant(target),
        drop: fc.integer({ min: 0, max: target.length }),
        ones: fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }),
      }).chain(({ drop, ones }) => {
        const source = target.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
        return fc.tuple(valuesArb(source), fc.constant(target));
      }),
    );
    fc.assert(
      fc.property(arb, ([x, target]) => {
        const y = broadcastTo(x, target);
        expect(y.shape).toEqual(target);
        const lead = target.length - x.rank;
        for (let e = 0; e < y.size; e++) {
          const index = unravel(e, target).slice(lead).map((i, d) => (x.shape[d] === 1 ? 0 : i));
          expect(y.data[e]).toBe(at(x, index));
        }
        expectGradients((t) => broadcastTo(t, target), [x]);
      }),
      RUNS,
    );
  });

  it("unsqueeze at a random axis, then squeeze it back", () => {
    const arb = tensorArb(0, 3).chain((x) =>
      fc.tuple(fc.constant(x), fc.integer({ min: -(x.rank + 1), max: x.rank })));
    fc.assert(
      fc.property(arb, ([x, axis]) => {
        const y = unsqueeze(x, axis);
        const d = axis < 0 ? axis + x.rank + 1 : axis;
        expect(y.shape).toEqual([...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
        expect(squeeze(y, axis).shape).toEqual(x.shape);
        expectGradients((t) => unsqueeze(t, axis), [x]);
        expectGradients((t) => squeeze(unsqueeze(t, axis), axis), [x]);
      }),
      RUNS,
    );
  });

  it("squeeze with no axis drops every size-1 axis", () => {
    const arb = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }).chain(valuesArb);
    fc.assert(
      fc.property(arb, (x) => {
        expect(squeeze(x).shape).toEqual(x.shape.filter((d) => d !== 1));
        expectGradients((t) => squeeze(t), [x]);
      }),
      RUNS,
    );
  });
});

describe("slice, gather, concat, stack: vjp matches central differences", () => {
  it("slice over random ranges, written with negative indices at random", () => {
    const bounds = (n: number) =>
      fc.record({ s: fc.integer({ min: 0, max: n }), e: fc.integer({ min: 0, max: n }),
        negS: fc.boolean(), negE: fc.boolean() })
        .map(({ s, e, negS, negE }) => {
          const [lo, hi] = s <= e ? [s, e] : [e, s];
          return { lo, hi, start: negS && lo < n ? lo - n : lo, end: negE && hi < n ? hi - n : hi };
        });
    const arb = tensorArb(1).chain((x) =>
      fc.tuple(fc.constant(x), fc.tuple(...x.shape.map(bounds))));
    fc.assert(
      fc.property(arb, ([x, b]) => {
        const starts = b.map((r) => r.start);
        const ends = b.map((r) => r.end);
        const y = slice(x, starts, ends);
        expect(y.shape).toEqual(b.map((r) => r.hi - r.lo));
        for (let e = 0; e < y.size; e++) {
          const index = unravel(e, y.shape).map((i, d) => i + b[d].lo);
          expect(y.data[e]).toBe(at(x, index));
        }
        expectGradients((t) => slice(t, starts, ends), [x]);
      }),
      RUNS,
    );
  });

  it("gather rows with repeated indices", () => {
    const arb = tensorArb(1).chain((x) =>
      fc.tuple(
        fc.constant(x),
        fc.array(fc.integer({ min: 0, max: x.shape[0] - 1 }), { minLength: 1, maxLength: 6 }),
      ));
    fc.assert(
      fc.property(arb, ([x, picked]) => {
        const indices = [...picked, picked[0]]; // at least one repeat
        const y = gather(x, indices);
        const row = size(x.shape.slice(1));
        expect(y.shape).toEqual([indices.length, ...x.shape.slice(1)]);
        indices.forEach((r, i) => {
          expect(Array.from(y.data.subarray(i * row, (i + 1) * row)))
            .toEqual(Array.from(x.data.subarray(r * row, (r + 1) * row)));
        });
        expectGradients((t) => gather(t, indices), [x]);
      }),
      RUNS,
    );
  });

  it("concat of 1–3 tensors along a random axis", () => {
    const arb = shapeArb(1).chain((shape) =>
      fc.record({
        axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
        lengths: fc.array(dim, { minLength: 1, maxLength: 3 }),
      }).chain(({ axis, lengths }) => {
        const d = axis < 0 ? axis + shape.length : axis;
        const parts = lengths.map((n) => valuesArb(shape.map((s, i) => (i === d ? n : s))));
        return fc.tuple(fc.tuple(...parts), fc.constant(axis), fc.constant(d));
      }),
    );
    fc.assert(
      fc.property(arb, ([parts, axis, d]) => {
        const y = concat(parts, axis);
        const expected = [...parts[0].shape];
        expected[d] = parts.reduce((n, t) => n + t.shape[d], 0);
        expect(y.shape).toEqual(expected);
        let offset = 0;
        for (const t of parts) {
          const end = expected.map((s, i) => (i === d ? offset + t.shape[d] : s));
          const begin = expected.map((_, i) => (i === d ? offset : 0));
          expect(Array.from(slice(y, begin, end).data)).toEqual(Array.from(t.data));
          offset += t.shape[d];
        }
        expectGradients((...ts) => concat(ts, axis), parts);
      }),
      RUNS,
    );
  });

  it("stack of 1–3 equal-shape tensors along a random new axis", () => {
    const arb = shapeArb(0, 3).chain((shape) =>
      fc.tuple(
        fc.array(valuesArb(shape), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: -(shape.length + 1), max: shape.length }),
      ));
    fc.assert(
      fc.property(arb, ([parts, axis]) => {
        const y = stack(parts, axis);
        const rank = parts[0].rank;
        const d = axis < 0 ? axis + rank + 1 : axis;
        const expected = [...parts[0].shape];
        expected.splice(d, 0, parts.length);
        expect(y.shape).toEqual(expected);
        for (let e = 0; e < y.size; e++) {
          const index = unravel(e, y.shape);
          const [which] = index.splice(d, 1);
          expect(y.data[e]).toBe(at(parts[which], index));
        }
        expectGradients((...ts) => stack(ts, axis), parts);
      }),
      RUNS,
    );
  });
});
