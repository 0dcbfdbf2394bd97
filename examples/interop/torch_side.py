"""The PyTorch side of examples/interop: loads tapegrad's model.safetensors into the equivalent
nn.Sequential with load_state_dict(strict=True), checks its outputs against tapegrad's, trains
one more epoch and saves the state_dict for tapegrad to load (main.ts --from-torch).

Usage: python3 examples/interop/torch_side.py examples/interop/dist/interop/
Needs PyTorch; uses the `safetensors` package when installed, else reads and writes the format
by hand (8-byte little-endian header length, JSON header, raw little-endian data).
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def load_file(path):
    try:
        from safetensors.torch import load_file as load
        return load(str(path))
    except ImportError:
        raw = Path(path).read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        header.pop("__metadata__", None)
        data = raw[8 + n:]
        out = {}
        for name, info in header.items():
            begin, end = info["data_offsets"]
            dtype = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
            array = np.frombuffer(data[begin:end], dtype=dtype).astype(DTYPES[info["dtype"]])
            out[name] = torch.from_numpy(array.reshape(info["shape"]))
        return out


def save_file(tensors, path, metadata=None):
    try:
        from safetensors.torch import save_file as save
        return save(tensors, str(path), metadata=metadata)
    except ImportError:
        header = {"__metadata__": metadata} if metadata else {}
        blobs, offset = [], 0
        for name, t in sorted(tensors.items()):
            # int64 (batch norm's num_batches_tracked) and float64 keep their dtype.
            kind = {torch.int64: "I64", torch.float64: "F64"}.get(t.dtype, "F32")
            little = {"I64": "<i8", "F64": "<f8", "F32": "<f4"}[kind]
            blob = t.detach().contiguous().numpy().astype(little).tobytes()
            header[name] = {"dtype": kind, "shape": list(t.shape),
                            "data_offsets": [offset, offset + len(blob)]}
            blobs.append(blob)
            offset += len(blob)
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples/interop/dist/interop")
# What torchModelCode(model) printed on the tapegrad side.
model = nn.Sequential(
    nn.Linear(in_features=784, out_features=128, bias=True),
    nn.ReLU(),
    nn.Linear(in_features=128, out_features=10, bias=True),
    nn.Softmax(dim=-1),
)
model.load_state_dict(load_file(out / "model.safetensors"), strict=True)
data = load_file(out / "data.safetensors")
with torch.no_grad():
    y = model(data["probe_images"])
gap = (y - data["tapegrad_output"]).abs().max().item()
accuracy = (y.argmax(1) == data["probe_labels"].long()).float().mean().item()
print(f"PyTorch: loaded tapegrad's weights (strict=True); outputs differ by at most {gap:.2e}; "
      f"accuracy on {len(y)} test images {100 * accuracy:.2f}%")

# One more epoch in PyTorch, on the logits (the model without its Softmax).
torch.manual_seed(0)
logits = model[:-1]
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
images, labels = data["train_images"], data["train_labels"].long()
for batch in torch.randperm(len(images)).split(64):
    optimizer.zero_grad()
    nn.functional.cross_entropy(logits(images[batch]), labels[batch]).backward()
    optimizer.step()
with torch.no_grad():
    y = model(data["probe_images"])
accuracy = (y.argmax(1) == data["probe_labels"].long()).float().mean().item()
save_file(model.state_dict(), out / "from-torch.safetensors", {"format": "pt"})
save_file({"output": y}, out / "torch-output.safetensors")
print(f"PyTorch: trained one more epoch, accuracy on the same images {100 * accuracy:.2f}%; "
      f"wrote {out / 'from-torch.safetensors'}")
print("next: pnpm --filter @tapegrad/example-interop start --from-torch")
