"""The reference CNN of bench/src/trainer (conv32-conv64-maxpool-dense128-dense10) trained in PyTorch on random
28x28x1 data: the yardstick for the WEBGPU numbers of `pnpm --filter @tunelab/bench gpu`.

Prints one JSON line: {"device": ..., "batch": ..., "steps": ..., "samples_per_sec": ..., "torch": ...}.
Same model, loss (cross-entropy on softmax outputs), optimizer (SGD, lr 0.01) and batch as the tfjs benchmark;
PyTorch defaults otherwise (float32, cuDNN autotuning on).

By default only the last step's loss is read, so the GPU queue never drains between steps: PyTorch's best case.
`--sync-every-step` reads every step's loss, as tfjs's `trainOnBatch` does, which is the like-for-like comparison.
"""

import argparse
import json
import time

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--sync-every-step", action="store_true")
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 12 * 12, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    ).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(args.batch, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (args.batch,), device=device)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
        if args.sync_every_step:
            float(loss)
    float(loss)  # waits for the last step
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    print(
        json.dumps(
            {
                "device": name,
                "batch": args.batch,
                "steps": args.steps,
                "samples_per_sec": args.batch * args.steps / seconds,
                "torch": torch.__version__,
                "sync_every_step": args.sync_every_step,
            }
        )
    )


if __name__ == "__main__":
    main()
