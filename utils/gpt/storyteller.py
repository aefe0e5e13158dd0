"""Train the storyteller: TinyStories, its tokenizer, bits per character, recipes and checkpoints.

The command line trains one recipe in one process or under torchrun, scores it on the held-out
stories and writes a checkpoint that notebook 08 loads (`save_checkpoint` / `load_checkpoint`: the
one format both write and read).

    python -m utils.gpt --recipe fast --seconds 300 --out runs/one
    torchrun --standalone --nproc_per_node=2 -m utils.gpt --recipe fast --seconds 300 --out runs/two
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F

from ..text import CharVocab, bits_per_char
from .model import GPT, GPTConfig
from .training import TrainConfig, distributed, train

# Each recipe: tokenizer, vocabulary size, model switches, training settings. "plain" is notebook
# 08's lecture setting; "nanogpt" is nanoGPT's published CPU recipe (the benchmark's baseline);
# "fast" is what tests/benchmarks/gpt_time_to_quality.py measured best on a 2-core CPU; "muon" is
# the earlier fast recipe with Muon (more per step, but slower steps).
RECIPES = {
    "plain": dict(
        tokenizer="bpe",
        vocab_size=2048,
        model=dict(block_size=64),
        train=dict(batch_size=16, lr=6e-3, warmup_steps=20),
    ),
    "nanogpt": dict(
        tokenizer="char",
        vocab_size=None,
        model=dict(block_size=64, bias=False, tie=True, init_std=0.02),
        train=dict(batch_size=12, lr=1e-3, warmup_steps=100, min_lr_frac=0.1),
    ),
    "fast": dict(
        tokenizer="bpe",
        vocab_size=2048,
        model=dict(block_size=128, bias=False, rope=True, relu2=True, zero_init=True),
        train=dict(
            batch_size=16,
            lr=5e-3,
            weight_decay=0.5,
            warmup_steps=20,
            schedule="trapezoid",
            decay_frac=0.5,
            fused=True,
            ema=0.995,
            without_replacement=True,
        ),
    ),
    "muon": dict(
        tokenizer="bpe",
        vocab_size=2048,
        model=dict(block_size=128, rope=True, zero_init=True),
        train=dict(
            batch_size=16,
            lr=3e-3,
            muon_lr=0.02,
            weight_decay=0.5,
            warmup_steps=20,
            schedule="trapezoid",
            decay_frac=0.5,
        ),
    ),
}
SEP = "\n\n"  # between stories, as in notebook 08
CHECKPOINT, TOKENIZER_FILE = "storyteller.pt", "storyteller_tokenizer.json"
# What every checkpoint reports, whoever trained it (08 and the command line add their own)
METRICS = ("steps", "tokens_seen", "train_seconds", "tokens_per_second", "val_bits_per_char")


# --- tokens --------------------------------------------------------------------------------------


def train_tokenizer(stories, vocab_size):
    """Byte-level BPE as GPT-2 and notebook 08: trained on the training stories only."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        stories,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    return tok


def encode_stories(stories, tok):
    """One stream of ids: the stories joined by SEP (BPE encodes story by story, in parallel)."""
    if isinstance(tok, CharVocab):
        return torch.tensor(tok.encode(SEP.join(stories)), dtype=torch.long)
    sep, ids = tok.encode(SEP).ids, []
    for i, e in enumerate(tok.encode_batch(stories)):
        ids += (sep if i else []) + e.ids
    return torch.tensor(ids, dtype=torch.long)


# --- evaluation: bits per character, the same yardstick for every tokenizer ----------------------


@torch.no_grad()
def summed_nll(model, ids, batch_size=32):
    """Summed next-token cross-entropy (nats) over `ids`, cut into non-overlapping windows of the
    context (a shorter window for the tail): every token after the first is predicted once."""
    was_training = model.training
    model.eval()
    T, dev = model.block_size, next(model.parameters()).device
    x, y = ids[:-1], ids[1:]
    n = len(y) // T * T
    windows = [(x[:n].view(-1, T), y[:n].view(-1, T))]
    if n < len(y):
        windows.append((x[n:][None], y[n:][None]))
    total = 0.0
    for X, Y in windows:
        for i in range(0, len(X), batch_size):
            logits = model(X[i : i + batch_size].to(dev))  # (b, T, V)
            targets = Y[i : i + batch_size].to(dev).flatten()
            total += F.cross_entropy(logits.flatten(0, 1).float(), targets, reduction="sum").item()
    model.train(was_training)
    return total


def validation_bpc(model, ids, n_chars):
    """Bits per character of `ids`, whose predicted tokens (all but the first) cover `n_chars`."""
    return bits_per_char(summed_nll(model, ids), n_chars)


class Corpus:
    """Train and validation ids under one tokenizer, and the characters validation covers."""

    def __init__(self, train_stories, val_stories, tokenizer="bpe", vocab_size=2048):
        if tokenizer == "char":
            self.tok = CharVocab(SEP.join(train_stories + val_stories))
            self.vocab_size = len(self.tok)
        elif tokenizer == "bpe":
            self.tok = train_tokenizer(train_stories, vocab_size)
            self.vocab_size = self.tok.get_vocab_size()
        else:
            raise ValueError(f"unknown tokenizer {tokenizer!r}: use 'char' or 'bpe'")
        self.train_ids = encode_stories(train_stories, self.tok)
        self.val_ids = encode_stories(val_stories, self.tok)
        # bits/char divides by the characters of the predicted tokens: every token but the first
        self.val_chars = len(SEP.join(val_stories)) - len(self.tok.decode([int(self.val_ids[0])]))

    def bpc(self, model):
        return validation_bpc(model, self.val_ids, self.val_chars)


# --- checkpoints: one format, written by notebook 08 and the command line ------------------------


def save_checkpoint(out_dir, model, tok, metrics, config: GPTConfig | None = None, **notes):
    """Write `out_dir`/storyteller.pt (config, float16 weights, metrics), the tokenizer beside it,
    and metrics.json; returns the checkpoint's path.

    `model` is any module with GPT(config)'s parameter names (08's own GPT included; `config`
    defaults to model.config). `metrics` holds at least METRICS; lists (loss curves) go to
    metrics.json only. `notes` (the recipe, the training settings) join the saved config.
    """
    missing = [k for k in METRICS if k not in metrics]
    if missing:
        raise ValueError(f"metrics lack {missing}: every checkpoint reports {list(METRICS)}")
    config = config or model.config
    weights = {k: v.detach().half().cpu() for k, v in model.state_dict().items()}  # half the bytes
    GPT(config).load_state_dict(weights)  # fail now, not when someone loads the file
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    saved = dict(asdict(config), **notes)
    if isinstance(tok, CharVocab):
        saved.update(tokenizer="char", chars="".join(tok.itos))
    else:
        saved.update(tokenizer="bpe", tokenizer_file=TOKENIZER_FILE)
        tok.save(str(out / TOKENIZER_FILE))
    scalars = {k: v for k, v in metrics.items() if not isinstance(v, (list, tuple))}
    torch.save(dict(config=saved, model=weights, metrics=scalars), out / CHECKPOINT)
    (out / "metrics.json").write_text(json.dumps(dict(config=saved, **metrics), indent=1))
    return out / CHECKPOINT


def load_checkpoint(path, device="cpu"):
    """(model in eval mode on `device`, tokenizer, the raw checkpoint dict) from storyteller.pt."""
    path = Path(path)
    ckpt = torch.load(path, map_location="cpu", weights_only=True)  # tensors and plain data only
    saved = ckpt["config"]
    fields = GPTConfig.__dataclass_fields__  # the rest: tokenizer, recipe, training settings
    model = GPT(GPTConfig(**{k: v for k, v in saved.items() if k in fields}))
    model.load_state_dict({k: v.float() for k, v in ckpt["model"].items()})
    if saved["tokenizer"] == "char":
        tok = CharVocab(saved["chars"])
    else:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path.with_name(saved["tokenizer_file"])))
    return model.to(device).eval(), tok, ckpt


# --- the command line: python -m utils.gpt ... or torchrun ... -m utils.gpt ... -----------------


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m utils.gpt", description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="fast")
    ap.add_argument(
        "--data",
        help="TinyStories text file (default: the loader's order: "
        "$TINYSTORIES_PATH, data/, download)",
    )
    ap.add_argument("--tokenizer", choices=["char", "bpe"], help="override the recipe's tokenizer")
    ap.add_argument("--steps", type=int, help="training steps (default 300 unless --seconds)")
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
    ap.add_argument("--out", help="folder for rank 0's storyteller.pt, tokenizer and metrics.json")
    ap.add_argument(
        "--save-rank-params", action="store_true", help="every rank writes its parameters (tests)"
    )
    return ap.parse_args(argv)


def _given(args, *names):
    """The options among `names` given on the command line: they override the recipe's."""
    return {k: getattr(args, k) for k in names if getattr(args, k) is not None}


def main(argv=None):
    args = parse_args(argv)
    from ..datasets import load_tinystories

    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world = distributed()
    recipe = RECIPES[args.recipe]
    train_stories, val_stories = load_tinystories(args.data)
    corpus = Corpus(
        train_stories, val_stories, args.tokenizer or recipe["tokenizer"], recipe["vocab_size"] or 0
    )  # deterministic on every rank
    model_kw = {**recipe["model"], **_given(args, "block_size", "n_layer", "n_head", "n_embd")}
    train_kw = {**recipe["train"], **_given(args, "batch_size", "lr")}
    steps = None if args.seconds and args.steps is None else (args.steps or 300)
    torch.manual_seed(args.seed)  # the same initial weights on every rank
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", torch.cuda.current_device()) if cuda else torch.device("cpu")
    model = GPT(GPTConfig(corpus.vocab_size, **model_kw)).to(device)  # under torchrun: this rank's
    tc = TrainConfig(
        **train_kw, steps=steps, seconds=args.seconds, seed=args.seed, log_every=args.log_every
    )
    history = train(model, corpus.train_ids, tc)
    out = Path(args.out) if args.out else None
    if out and args.save_rank_params:
        out.mkdir(parents=True, exist_ok=True)
        params = {k: v.cpu() for k, v in model.state_dict().items()}
        torch.save(params, out / f"params_rank{rank}.pt")
    if rank == 0:
        seconds = history["train_seconds"]
        tokens = history["steps"] * tc.batch_size * model.block_size
        metrics = dict(
            steps=history["steps"],
            tokens_seen=tokens,
            train_seconds=seconds,
            tokens_per_second=tokens / seconds,
            val_bits_per_char=corpus.bpc(model),
            recipe=args.recipe,
            world_size=world,
            final_loss=history["loss"][-1],
            losses=history["loss"],
        )
        print(
            f"{world} process(es), {metrics['steps']} steps in {seconds:.1f} s "
            f"({metrics['tokens_per_second']:,.0f} tokens/s); "
            f"validation {metrics['val_bits_per_char']:.3f} bits/char"
        )
        if out:
            save_checkpoint(out, model, corpus.tok, metrics, recipe=args.recipe, train=asdict(tc))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
