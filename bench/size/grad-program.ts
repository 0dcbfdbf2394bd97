// The minimal browser program `pnpm size` bundles: tensors and gradients only (no nn), so that
// what core alone costs stays visible. It uses only what runs in a page (no Node API).
import { type Tensor, grad, matmul, sum, tanh, tensor } from "@tapegrad/core";

const x = tensor([[0.5, -1], [2, 0.25]], { dtype: "float64" });
const w = tensor([[1, 2], [-0.5, 0.75]], { dtype: "float64", requiresGrad: true });
const loss = (weights: Tensor): Tensor => sum(tanh(matmul(x, weights)));
// The tape (backward) and the functional transform (grad) must agree.
loss(w).backward();
const dw = grad(loss)(w);
const same = Array.from(dw.data).every((v, i) => v === w.grad?.data[i]);
// d/dw sum(tanh(x·w)) = xᵀ·(1 - tanh²(x·w)); the size script checks one entry by hand.
console.log(JSON.stringify({ grad: Array.from(dw.data), same }));
