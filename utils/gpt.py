"""Notebook 08's GPT and training loop, with the switches of a faster recipe, on one process or many.

`GPTConfig()` with no switches is exactly the model notebook 08 builds (same parameter names, so 08's
state dicts load here); the switches add what the time-to-quality benchmark
(tests/benchmarks/gpt_time_to_quality.py) measured to help on a CPU: rotary positions, QK-norm,
ReLU², no biases, zero-initialised output projections, Muon for the 2-D hidden weights, a moving
average of the weights (TrainConfig.ema) and batches drawn in shuffled passes over the data
(TrainConfig.without_replacement).

One source for every scale. `train` runs in a single process, or under torchrun with
DistributedDataParallel (gloo on CPU, NCCL on GPUs): every step draws one global batch from a seeded
generator and each rank trains on its own rows of it, so N ranks take exactly the steps one process
takes with the same global batch. Rank 0 logs and writes the checkpoint.

    python -m utils.gpt --recipe fast --seconds 300 --out runs/one
    torchrun --standalone --nproc_per_node=2 -m utils.gpt --recipe fast --seconds 300 --out runs/two
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from .text import CharVocab, bits_per_char, lm_batch


@dataclass
class GPTConfig:
    vocab_size: int
    block_size: int = 64          # context length T, in tokens
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    bias: bool = True             # biases in Linear and LayerNorm layers (08); nanoGPT's recipe has none
    tie: bool = False             # the head shares the token embedding matrix (nanoGPT)
    init_std: float | None = None  # None: PyTorch's default init (08); nanoGPT: 0.02
    rope: bool = False            # rotary position embeddings (Su et al. 2021) instead of a learned table
    qk_norm: bool = False         # RMS-normalise queries and keys per head (Henry et al. 2020)
    relu2: bool = False           # ReLU(x)^2 instead of GELU in the MLP (So et al. 2021)
    zero_init: bool = False       # output projections start at zero: every block starts as the identity
    dropout: float = 0.0          # on attention weights and on each block's two outputs, while training


class Block(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.n_head, self.c = c.n_head, c
        self.ln1, self.ln2 = nn.LayerNorm(c.n_embd, bias=c.bias), nn.LayerNorm(c.n_embd, bias=c.bias)
        self.qkv = nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
        self.proj = nn.Linear(c.n_embd, c.n_embd, bias=c.bias)
        self.mlp = nn.Sequential(nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias), nn.GELU(),
                                 nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias))

    def attn(self, x, rope):                                                # x (B, T, C)
        B, T, C = x.shape
        qkv = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head)
        qk, v = qkv[:, :, :2], qkv[:, :, 2]                   # queries and keys together: one rotation, one norm
        if self.c.qk_norm:
            qk = F.rms_norm(qk, qk.shape[-1:])
        if rope is not None:
            qk = rotate(qk, rope)
        q, k = qk.permute(2, 0, 3, 1, 4)                       # each (B, nh, T, hs)
        p = self.c.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v.transpose(1, 2), is_causal=True, dropout_p=p)
        return F.dropout(self.proj(y.transpose(1, 2).reshape(B, T, C)), p, self.training)

    def forward(self, x, rope=None):
        x = x + self.attn(self.ln1(x), rope)
        h = self.mlp[0](self.ln2(x))
        h = self.mlp[2](ReLU2.apply(h) if self.c.relu2 else self.mlp[1](h))
        return x + F.dropout(h, self.c.dropout, self.training)


def rotary(T, head_size, device=None, base=10000.0):
    """Unit complex numbers e^(i t w_j), w_j = base^(-2j/d), as (T, head_size/2, 2) real pairs, for `rotate`."""
    inv_freq = base ** (-torch.arange(0, head_size, 2, device=device).float() / head_size)
    angles = torch.arange(T, device=device).float()[:, None] * inv_freq
    return torch.view_as_real(torch.polar(torch.ones_like(angles), angles))


def rotate(x, rot):
    """Rotate each pair (x_2j, x_2j+1) of the head dimension by its angle (Su et al. 2021): read as
    complex numbers, one multiplication x * e^(i t w_j), one kernel forward and one backward."""
    return torch.view_as_real(torch.view_as_complex(x.unflatten(-1, (-1, 2))) * torch.view_as_complex(rot)).flatten(-2)


class ReLU2(torch.autograd.Function):
    """ReLU(x)^2 with gradient 2 ReLU(x) g: two elementwise kernels each way, where autograd's
    relu(x).square() takes five and is slower on a CPU than the GELU it replaces."""
    @staticmethod
    def forward(ctx, x):
        r = x.relu()
        ctx.save_for_backward(r)
        return r * r

    @staticmethod
    def backward(ctx, g):
        r, = ctx.saved_tensors
        return (g * r).mul_(2)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        c = self.config = config
        self.block_size = c.block_size
        self.tok = nn.Embedding(c.vocab_size, c.n_embd)
        if not c.rope:
            self.pos = nn.Embedding(c.block_size, c.n_embd)
        self.blocks = nn.Sequential(*[Block(c) for _ in range(c.n_layer)])
        self.ln_f = nn.LayerNorm(c.n_embd, bias=c.bias)
        self.head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        if c.tie:
            self.head.weight = self.tok.weight
        if c.init_std is not None:   # nanoGPT: N(0, 0.02), residual projections scaled by 1/sqrt(2L)
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    std = c.init_std / math.sqrt(2 * c.n_layer) if name.endswith(("proj.weight", "mlp.2.weight")) else c.init_std
                    nn.init.normal_(p, 0.0, std)
                elif name.endswith("bias") and "ln" not in name:
                    nn.init.zeros_(p)
        if c.zero_init:
            for layer in [m for b in self.blocks for m in (b.proj, b.mlp[2])]:
                for p in layer.parameters():
                    nn.init.zeros_(p)
        if c.rope:
            self.register_buffer("rot", rotary(c.block_size, c.n_embd // c.n_head), persistent=False)

    def forward(self, idx):                                                 # idx (B, T) token ids
        x = self.tok(idx)
        T = idx.shape[1]
        rope = self.rot[:T, None, None] if self.config.rope else None      # (T, 1, 1, hs/2, 2)
        if rope is None:
            x = x + self.pos(torch.arange(T, device=idx.device))
        for block in self.blocks:
            x = block(x, rope)
        return self.head(self.ln_f(x))                                      # (B, T, vocab_size)


# ---------------------------------------------------------------------------------------------------
# Evaluation: bits per character, the same yardstick for every tokenizer
# ---------------------------------------------------------------------------------------------------

@torch.no_grad()
def summed_nll(model, ids, batch_size=32):
    """Summed next-token cross-entropy (nats) over `ids` cut into non-overlapping windows of the context."""
    was_training = model.training
    model.eval()
    T, dev = model.block_size, next(model.parameters()).device
    x, y = ids[:-1], ids[1:]                                  # every token after the first is predicted once
    n = len(y) // T * T
    windows = [(x[:n].view(-1, T), y[:n].view(-1, T))] + ([(x[n:][None], y[n:][None])] if n < len(y) else [])
    total = 0.0
    for X, Y in windows:
        for i in range(0, len(X), batch_size):
            logits = model(X[i:i + batch_size].to(dev))
            total += F.cross_entropy(logits.flatten(0, 1).float(), Y[i:i + batch_size].to(dev).flatten(),
                                     reduction="sum").item()
    model.train(was_training)
    return total


def validation_bpc(model, ids, n_chars):
    """Bits per character of `ids`, whose predicted tokens (all but the first) cover `n_chars` characters."""
    return bits_per_char(summed_nll(model, ids), n_chars)


# ---------------------------------------------------------------------------------------------------
# Training, single-process or DistributedDataParallel
# ---------------------------------------------------------------------------------------------------

@dataclass
class TrainConfig:
    batch_size: int = 16          # sequences per step, the global batch (split evenly over the ranks)
    lr: float = 3e-3              # peak AdamW learning rate
    muon_lr: float | None = None  # if set: Muon with this peak rate for the 2-D weights inside the blocks
    muon_ns_steps: int = 5        # Newton-Schulz iterations per Muon step (torch's default)
    betas: tuple = (0.9, 0.99)
    weight_decay: float = 0.1     # on 2-D weights only, as nanoGPT
    warmup_steps: int = 20
    schedule: str = "cosine"      # "cosine": warm-up then cosine decay; "trapezoid": warm-up, flat, linear decay
    decay_frac: float = 0.5       # trapezoid: the last fraction of training decays linearly
    min_lr_frac: float = 0.0      # the learning rate at the end, as a fraction of the peak
    grad_clip: float = 1.0
    fused: bool = False           # AdamW's single fused kernel (nanoGPT turns it on for CUDA only)
    ema: float = 0.0              # if set: return (and evaluate) an exponential moving average of the weights
    without_replacement: bool = False   # windows from shuffled passes over the data, not drawn at random
    steps: int | None = 300       # training ends after `steps`, or after `seconds` of training if set
    seconds: float | None = None
    seed: int = 0
    log_every: int = 0            # rank 0 prints the loss every this many steps (0: never)
    eval_at: list = field(default_factory=list)   # training seconds at which to call on_eval (not counted)


def lr_factor(progress, step, tc: TrainConfig):
    """Multiplier of the peak learning rate at `progress` in [0, 1] of the budget and step `step`."""
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
    rest = [(n, p) for n, p in named if id(p) not in ids_hidden]
    groups = [dict(params=[p for _, p in rest if p.dim() >= 2], weight_decay=tc.weight_decay),
              dict(params=[p for _, p in rest if p.dim() < 2], weight_decay=0.0)]
    opts = [torch.optim.AdamW([g for g in groups if g["params"]], lr=tc.lr, betas=tc.betas, fused=tc.fused)]
    if hidden:
        opts.append(torch.optim.Muon(hidden, lr=tc.muon_lr, weight_decay=tc.weight_decay,
                                     adjust_lr_fn="match_rms_adamw", ns_steps=tc.muon_ns_steps))
    for opt in opts:
        for g in opt.param_groups:
            g["peak_lr"] = g["lr"]
    return opts


def ema_decay(n, decay):
    """The moving average's decay after n updates: short at first (early weights are poor), at most `decay`."""
    return min(decay, (1 + n) / (10 + n))


def moving_average(model, decay):
    """A copy of `model` whose weights track the exponential moving average of `model`'s (Polyak averaging)."""
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
    """Batches (x, y) drawn without replacement: each pass over `ids` cuts it into non-overlapping windows
    from a random shift and visits them in random order, so a pass makes every token (but the ragged
    ends) a target exactly once."""
    if ids.ndim != 1 or len(ids) <= block_size:
        raise ValueError(f"need a 1-D tensor longer than block_size={block_size}, got shape {tuple(ids.shape)}")
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

    Under torchrun the model is wrapped in DDP; every rank draws the same global batch and trains on
    its own rows, and the logged loss is the mean over all ranks (the single-process loss). With
    `tc.ema`, on_eval sees the moving average and `model` ends holding it.
    """
    rank, world = distributed()
    if tc.batch_size % world:
        raise ValueError(f"batch_size {tc.batch_size} does not split evenly over {world} processes")
    if tc.steps is None and tc.seconds is None:
        raise ValueError("give a budget: steps or seconds")
    dev = next(model.parameters()).device
    net = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opts, gen = optimizers(model, tc), torch.Generator().manual_seed(tc.seed)
    T, B = model.block_size, tc.batch_size      # every rank draws the same global batch (B, T)
    batches = (shuffled_windows(train_ids, T, B, gen) if tc.without_replacement
               else iter(lambda: lm_batch(train_ids, T, B, gen), None))     # nanoGPT's: drawn at random
    ema = moving_average(model, tc.ema) if tc.ema else None
    rows = slice(rank * tc.batch_size // world, (rank + 1) * tc.batch_size // world)
    history = dict(loss=[], seconds=[])
    pending = sorted(tc.eval_at)
    trained, step = 0.0, 0
    while True:
        progress = trained / tc.seconds if tc.seconds else step / tc.steps
        if world > 1 and tc.seconds:    # every rank stops at the same step
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
                swap_weights(model, ema.module)         # evaluate the average, then train on
            on_eval(pending.pop(0), step)   # evaluation time is not training time
            if ema is not None:
                swap_weights(model, ema.module)
    if ema is not None:
        swap_weights(model, ema.module)
    while pending and on_eval is not None:  # budgets the run reached at its very end
        on_eval(pending.pop(0), step)
    history["steps"], history["train_seconds"] = step, trained
    return history


# ---------------------------------------------------------------------------------------------------
# Recipes, tokenizers and the command line: python -m utils.gpt ... or torchrun ... -m utils.gpt ...
# ---------------------------------------------------------------------------------------------------

# Each recipe: tokenizer, vocabulary size, model switches, training settings. "plain" is notebook 08's
# lecture setting; "nanogpt" is nanoGPT's published CPU recipe (the benchmark's baseline); "fast" is
# what tests/benchmarks/gpt_time_to_quality.py measured best on a 2-core CPU; "muon" is the earlier fast
# recipe with Muon (more per step, but slower steps; the checkpoint before the current one used it).
RECIPES = {
    "plain": dict(tokenizer="bpe", vocab_size=2048, model=dict(block_size=64),
                  train=dict(batch_size=16, lr=6e-3, warmup_steps=20)),
    "nanogpt": dict(tokenizer="char", vocab_size=None,
                    model=dict(block_size=64, bias=False, tie=True, init_std=0.02),
                    train=dict(batch_size=12, lr=1e-3, warmup_steps=100, min_lr_frac=0.1)),
    "fast": dict(tokenizer="bpe", vocab_size=2048,
                 model=dict(block_size=128, bias=False, rope=True, relu2=True, zero_init=True),
                 train=dict(batch_size=16, lr=5e-3, weight_decay=0.5, warmup_steps=20,
                            schedule="trapezoid", decay_frac=0.5, fused=True, ema=0.995,
                            without_replacement=True)),
    "muon": dict(tokenizer="bpe", vocab_size=2048,
                 model=dict(block_size=128, rope=True, zero_init=True),
                 train=dict(batch_size=16, lr=3e-3, muon_lr=0.02, weight_decay=0.5, warmup_steps=20,
                            schedule="trapezoid", decay_frac=0.5)),
}
SEP = "\n\n"                      # between stories, as in notebook 08


def train_tokenizer(stories, vocab_size):
    """Byte-level BPE as GPT-2 and notebook 08: trained on the training stories only."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(stories, trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    return tok


def encode_stories(stories, tok):
    """One stream of ids: the stories joined by SEP (BPE encodes story by story, in parallel)."""
    if isinstance(tok, CharVocab):
        return torch.tensor(tok.encode(SEP.join(stories)), dtype=torch.long)
    sep, ids = tok.encode(SEP).ids, []
    for i, e in enumerate(tok.encode_batch(stories)):
        ids += (sep if i else []) + e.ids
    return torch.tensor(ids, dtype=torch.long)


class Corpus:
    """Training and validation ids of a split under one tokenizer, and the characters validation covers."""
    def __init__(self, train_stories, val_stories, tokenizer="bpe", vocab_size=2048):
        if tokenizer == "char":
            self.tok = CharVocab(SEP.join(train_stories + val_stories))
            self.vocab_size = len(self.tok)
        elif tokenizer == "bpe":
            self.tok = train_tokenizer(train_stories, vocab_size)
            self.vocab_size = self.tok.get_vocab_size()
        else:
            raise ValueError(f"unknown tokenizer {tokenizer!r}: use 'char' or 'bpe'")
        self.train_ids, self.val_ids = encode_stories(train_stories, self.tok), encode_stories(val_stories, self.tok)
        # bits/char divides by the characters of the predicted tokens: every token but the first
        self.val_chars = len(SEP.join(val_stories)) - len(self.tok.decode([int(self.val_ids[0])]))

    def bpc(self, model):
        return validation_bpc(model, self.val_ids, self.val_chars)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m utils.gpt", description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="fast")
    ap.add_argument("--data", help="TinyStories text file (default: the loader's order: $TINYSTORIES_PATH, data/, download)")
    ap.add_argument("--tokenizer", choices=["char", "bpe"], help="override the recipe's tokenizer")
    ap.add_argument("--steps", type=int, help="training steps (default 300 unless --seconds is given)")
    ap.add_argument("--seconds", type=float, help="training time budget (the schedule spans it)")
    ap.add_argument("--batch-size", type=int, help="global batch, split over the processes")
    ap.add_argument("--block-size", type=int)
    ap.add_argument("--n-layer", type=int)
    ap.add_argument("--n-head", type=int)
    ap.add_argument("--n-embd", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, help="torch threads per process")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--out", help="folder for rank 0's storyteller.pt (08's format), tokenizer and metrics.json")
    ap.add_argument("--save-rank-params", action="store_true", help="every rank writes its parameters (tests)")
    args = ap.parse_args(argv)

    from .datasets import load_tinystories
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world = distributed()
    recipe = RECIPES[args.recipe]
    tokenizer = args.tokenizer or recipe["tokenizer"]
    train_stories, val_stories = load_tinystories(args.data)
    corpus = Corpus(train_stories, val_stories, tokenizer, recipe["vocab_size"] or 0)   # deterministic on every rank
    model_kw = {**recipe["model"], **{k: getattr(args, k) for k in ("block_size", "n_layer", "n_head", "n_embd")
                                      if getattr(args, k) is not None}}
    train_kw = {**recipe["train"], **{k: getattr(args, k) for k in ("batch_size", "lr") if getattr(args, k) is not None}}
    steps = None if args.seconds and args.steps is None else (args.steps or 300)
    torch.manual_seed(args.seed)                   # the same initial weights on every rank
    device = torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    model = GPT(GPTConfig(corpus.vocab_size, **model_kw)).to(device)   # under torchrun: this rank's GPU
    tc = TrainConfig(**train_kw, steps=steps, seconds=args.seconds, seed=args.seed, log_every=args.log_every)
    history = train(model, corpus.train_ids, tc)
    out = Path(args.out) if args.out else None
    if out and args.save_rank_params:
        out.mkdir(parents=True, exist_ok=True)
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, out / f"params_rank{rank}.pt")
    if rank == 0:
        bpc = corpus.bpc(model)
        tokens = history["steps"] * tc.batch_size * model.block_size
        metrics = dict(recipe=args.recipe, world_size=world, steps=history["steps"], tokens_seen=tokens,
                       train_seconds=history["train_seconds"], tokens_per_second=tokens / history["train_seconds"],
                       final_loss=history["loss"][-1], val_bits_per_char=bpc, losses=history["loss"])
        print(f"{world} process(es), {history['steps']} steps in {history['train_seconds']:.1f} s "
              f"({metrics['tokens_per_second']:,.0f} tokens/s); validation {bpc:.3f} bits/char")
        if out:
            out.mkdir(parents=True, exist_ok=True)
            config = dict(asdict(model.config), tokenizer=tokenizer, recipe=args.recipe, train=asdict(tc))
            if tokenizer == "char":
                config["chars"] = "".join(corpus.tok.itos)
            else:
                config["tokenizer_file"] = "storyteller_tokenizer.json"
                corpus.tok.save(str(out / config["tokenizer_file"]))
            half = {k: v.half().cpu() for k, v in model.state_dict().items()}   # float16: half the bytes
            torch.save(dict(config=config, model=half, metrics={k: v for k, v in metrics.items() if k != "losses"}),
                       out / "storyteller.pt")
            (out / "metrics.json").write_text(json.dumps(dict(config=config, **metrics), indent=1))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
