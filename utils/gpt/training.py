"""Training a GPT, in one process or under torchrun with DistributedDataParallel.

Every step draws one global batch from a seeded generator and each rank trains on its own rows of
it, so N ranks take exactly the steps one process takes with the same global batch (gloo on CPU,
NCCL on GPUs). The switches the time-to-quality benchmark measured: schedules, Muon for the 2-D
hidden weights, a moving average of the weights (`ema`) and batches drawn in shuffled passes over
the data (`without_replacement`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from ..text import lm_batch


@dataclass
class TrainConfig:
    batch_size: int = 16  # sequences per step, the global batch (split over the ranks)
    lr: float = 3e-3  # peak AdamW learning rate
    muon_lr: float | None = None  # if set: Muon with this peak rate for the blocks' 2-D weights
    muon_ns_steps: int = 5  # Newton-Schulz iterations per Muon step (torch's default)
    betas: tuple = (0.9, 0.99)
    weight_decay: float = 0.1  # on 2-D weights only, as nanoGPT
    warmup_steps: int = 20
    schedule: str = "cosine"  # "cosine": warm-up, cosine; "trapezoid": warm-up, flat, linear
    decay_frac: float = 0.5  # trapezoid: the last fraction of training decays linearly
    min_lr_frac: float = 0.0  # the learning rate at the end, as a fraction of the peak
    grad_clip: float = 1.0
    fused: bool = False  # AdamW's single fused kernel (nanoGPT turns it on for CUDA only)
    ema: float = 0.0  # if set: return (and evaluate) a moving average of the weights
    without_replacement: bool = False  # windows from shuffled passes over the data, not at random
    steps: int | None = 300  # training ends after `steps`, or after `seconds` if that is set
    seconds: float | None = None
    seed: int = 0
    log_every: int = 0  # rank 0 prints the loss every this many steps (0: never)
    eval_at: list = field(default_factory=list)  # training seconds at which to call on_eval


def lr_factor(progress, step, tc: TrainConfig):
    """Multiplier of the peak learning rate at `progress` in [0, 1] of the budget, step `step`."""
    warm = min(1.0, (step + 1) / tc.warmup_steps) if tc.warmup_steps else 1.0
    if tc.schedule == "cosine":
        decay = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    elif tc.schedule == "trapezoid":
        decay = min(1.0, (1 - progress) / tc.decay_frac) if tc.decay_frac else 1.0
    else:
        raise ValueError(f"unknown schedule {tc.schedule!r}: use 'cosine' or 'trapezoid'")
    return warm * (tc.min_lr_frac + (1 - tc.min_lr_frac) * max(decay, 0.0))


def optimizers(model, tc: TrainConfig):
    """AdamW for everything, or Muon for the blocks' 2-D weights and AdamW for the rest."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    hidden = [p for n, p in named if tc.muon_lr and p.dim() == 2 and n.startswith("blocks.")]
    ids_hidden = {id(p) for p in hidden}
    rest = [p for _, p in named if id(p) not in ids_hidden]
    groups = [
        dict(params=[p for p in rest if p.dim() >= 2], weight_decay=tc.weight_decay),
        dict(params=[p for p in rest if p.dim() < 2], weight_decay=0.0),
    ]
    groups = [g for g in groups if g["params"]]
    opts = [torch.optim.AdamW(groups, lr=tc.lr, betas=tc.betas, fused=tc.fused)]
    if hidden:
        opts.append(
            torch.optim.Muon(
                hidden,
                lr=tc.muon_lr,
                weight_decay=tc.weight_decay,
                adjust_lr_fn="match_rms_adamw",
                ns_steps=tc.muon_ns_steps,
            )
        )
    for opt in opts:
        for g in opt.param_groups:
            g["peak_lr"] = g["lr"]
    return opts


def ema_decay(n, decay):
    """The moving average's decay after n updates: short at first (early weights are poor)."""
    return min(decay, (1 + n) / (10 + n))


def moving_average(model, decay):
    """A copy of `model` tracking the exponential moving average of its weights (Polyak)."""

    def update(averaged, current, n):
        for a, c in zip(averaged, current):
            a.lerp_(c, 1 - ema_decay(int(n), decay))

    return torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=update)


@torch.no_grad()
def swap_weights(a, b):
    """Exchange the parameters of two models of one architecture."""
    for p, q in zip(a.parameters(), b.parameters()):
        t = p.clone()
        p.copy_(q)
        q.copy_(t)


def shuffled_windows(ids, block_size, batch_size, gen):
    """Batches (x, y) drawn without replacement: each pass over `ids` cuts it into non-overlapping
    windows from a random shift and visits them in random order, so a pass makes every token (but
    the ragged ends) a target exactly once."""
    if ids.ndim != 1 or len(ids) <= block_size:
        raise ValueError(
            f"need a 1-D tensor longer than block_size={block_size}, got shape {tuple(ids.shape)}"
        )
    queue, offsets = torch.empty(0, dtype=torch.long), torch.arange(block_size)
    while True:
        while len(queue) < batch_size:
            shift = int(torch.randint(block_size, (1,), generator=gen))
            starts = torch.arange(shift, len(ids) - block_size, block_size)
            queue = torch.cat([queue, starts[torch.randperm(len(starts), generator=gen)]])
        starts, queue = queue[:batch_size, None], queue[batch_size:]
        yield ids[starts + offsets], ids[starts + offsets + 1]


def distributed():
    """(rank, world size); joins the process group when started by torchrun."""
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1:
        if not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
            if backend == "nccl":
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def train(model, train_ids, tc: TrainConfig, on_eval=None):
    """Train `model` on windows of `train_ids` (random, or shuffled passes); returns the history.

    Under torchrun the model is wrapped in DDP; every rank draws the same global batch and trains
    on its own rows, and the logged loss is the mean over all ranks (the single-process loss).
    With `tc.ema`, on_eval sees the moving average and `model` ends holding it.
    """
    rank, world = distributed()
    if tc.batch_size % world:
        raise ValueError(f"batch_size {tc.batch_size} does not split evenly over {world} processes")
    if tc.steps is None and tc.seconds is None:
        raise ValueError("give a budget: steps or seconds")
    dev = next(model.parameters()).device
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opts, gen = optimizers(model, tc), torch.Generator().manual_seed(tc.seed)
    T, B = model.block_size, tc.batch_size  # every rank draws the same global batch (B, T)
    batches = (
        shuffled_windows(train_ids, T, B, gen)
        if tc.without_replacement
        else iter(lambda: lm_batch(train_ids, T, B, gen), None)
    )  # nanoGPT's: at random
    ema = moving_average(model, tc.ema) if tc.ema else None
    rows = slice(rank * B // world, (rank + 1) * B // world)
    history = dict(loss=[], seconds=[])
    pending = sorted(tc.eval_at)
    trained, step = 0.0, 0
    while True:
        progress = trained / tc.seconds if tc.seconds else step / tc.steps
        if world > 1 and tc.seconds:  # every rank stops at the same step
            p = torch.tensor([progress], device=dev)
            dist.all_reduce(p, op=dist.ReduceOp.MAX)
            progress = p.item()
        if progress >= 1:
            break
        t0 = time.perf_counter()
        for opt in opts:
            for g in opt.param_groups:
                g["lr"] = g["peak_lr"] * lr_factor(progress, step, tc)
        x, y = next(batches)
        x, y = x[rows].to(dev), y[rows].to(dev)
        loss = F.cross_entropy(net(x).flatten(0, 1), y.flatten())
        for opt in opts:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        if tc.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        for opt in opts:
            opt.step()
        if ema is not None:
            ema.update_parameters(model)
        mean_loss = loss.detach()
        if world > 1:
            dist.all_reduce(mean_loss)
            mean_loss /= world
        trained += time.perf_counter() - t0
        step += 1
        history["loss"].append(mean_loss.item())
        history["seconds"].append(trained)
        if rank == 0 and tc.log_every and step % tc.log_every == 0:
            print(f"step {step}: loss {history['loss'][-1]:.4f} ({trained:.1f} s)", flush=True)
        while pending and trained >= pending[0] and on_eval is not None:
            if ema is not None:
                swap_weights(model, ema.module)  # evaluate the average, then train on
            on_eval(pending.pop(0), step)  # evaluation time is not training time
            if ema is not None:
                swap_weights(model, ema.module)
    if ema is not None:
        swap_weights(model, ema.module)
    while pending and on_eval is not None:  # budgets the run reached at its very end
        on_eval(pending.pop(0), step)
    history["steps"], history["train_seconds"] = step, trained
    return history
