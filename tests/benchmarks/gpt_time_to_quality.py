"""Time-to-quality: nanoGPT's CPU recipe against ours, trained side by side on this machine.

Both train on the loader's split of TinyStories (the last 10% of whole stories is validation) and
are scored alike: the summed next-token cross-entropy over the whole validation text, cut into
non-overlapping windows of the model's context, divided by the characters those tokens cover and by
ln 2 (bits per character). Training time excludes evaluation.

- baseline: nanoGPT's published CPU recipe (README of karpathy/nanoGPT, "I only have a macbook"):
  characters, 4 layers, 4 heads, 128 wide, block 64, batch 12, no dropout, no biases, tied head,
  N(0, 0.02) init; AdamW 1e-3, betas (0.9, 0.99), weight decay 0.1, 100 warm-up steps, cosine decay
  to 1e-4 (here over the whole time budget), gradient clipping at 1.0. One run, scored at every
  budget.
- ours: notebook 08's GPT (utils.gpt) with the recipe below, one fresh run per budget (its
  schedule spans the budget).
- 08 plain: notebook 08's own model and loop at its lecture settings (BPE 2048, context 64), for
  reference: what the recipe adds on top of the tokenizer.
- muon: the recipe with Muon for the blocks' matrices (RECIPES["muon"]), at 30 and 300 s.
- throughput: tokens per second of the baseline, ours and the Muon recipe, at the baseline's exact
  shape and batch: the median of five 10-s runs each, taken in turns (this machine's speed drifts by
  several percent).

    .venv/bin/python tests/benchmarks/gpt_time_to_quality.py            # about 35 minutes
    .venv/bin/python tests/benchmarks/gpt_time_to_quality.py --quick    # 1/10 of every budget, a
    smoke test

Results also go to artifacts/benchmarks/gpt_time_to_quality.json.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import utils  # noqa: E402
from utils.gpt import GPT, RECIPES, Corpus, GPTConfig, TrainConfig, train  # noqa: E402

BASELINE_BUDGETS = [60, 150, 300, 600]
OUR_BUDGETS = [30, 60, 150, 300]
PLAIN_BUDGETS = MUON_BUDGETS = [30, 300]
BASELINE, PLAIN, OURS, MUON = RECIPES["nanogpt"], RECIPES["plain"], RECIPES["fast"], RECIPES["muon"]
THREADS = 2


def run(data, model_kw, train_kw, seconds, eval_at, seed=0):
    """Train one fresh model for `seconds`; returns {budget: bits/char} and the training history."""
    torch.manual_seed(seed)
    model = GPT(GPTConfig(data.vocab_size, **model_kw))
    scores = {}
    tc = TrainConfig(**train_kw, steps=None, seconds=seconds, eval_at=eval_at, seed=seed)
    hist = train(
        model,
        data.train_ids,
        tc,
        on_eval=lambda s, step: scores.__setitem__(s, (data.bpc(model), step)),
    )
    return scores, hist


def throughput(data, model_kw, train_kw, seconds):
    _, hist = run(data, model_kw, train_kw, seconds, [])
    b, T = train_kw["batch_size"], model_kw["block_size"]
    if hist["steps"] < 4:
        raise SystemExit(
            f"throughput: only {hist['steps']} steps in {seconds:.0f} s; give a larger --scale"
        )
    warm = min(5, hist["steps"] // 2)  # the first steps pay for allocation
    return (hist["steps"] - warm) * b * T / (hist["train_seconds"] - hist["seconds"][warm - 1])


def interleaved_throughput(configs, data, seconds, rounds=5):
    """Median tokens/s of each {name: (model_kw, train_kw)}, measured in turns: round after
    round, every config runs for `seconds`, so a slow spell of a shared machine hits them all
    alike."""
    runs = {name: [] for name in configs}
    for _ in range(rounds):
        for name, (model_kw, train_kw) in configs.items():
            runs[name].append(throughput(data, model_kw, train_kw, seconds))
    return {name: statistics.median(r) for name, r in runs.items()}, runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="every budget divided by 10 (a smoke test of the script)",
    )
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every budget by this")
    ap.add_argument("--data", help="TinyStories file (default: the loader's order)")
    ap.add_argument(
        "--skip-baseline", action="store_true", help="only our recipe (while tuning it)"
    )
    ap.add_argument(
        "--ours",
        default="{}",
        help="JSON overrides of our recipe, e.g. '{\"lr\": 2e-3, \"vocab\": 1024}'",
    )
    ap.add_argument("--budgets", help="comma-separated budgets in seconds for our recipe")
    ap.add_argument("--threads", type=int, default=THREADS)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    scale = args.scale * (0.1 if args.quick else 1.0)
    overrides = json.loads(args.ours)
    vocab = overrides.pop("vocab", OURS["vocab_size"])
    our_model = {
        **OURS["model"],
        **{k: v for k, v in overrides.items() if k in GPTConfig.__dataclass_fields__},
    }
    our_train = {
        **OURS["train"],
        **{k: v for k, v in overrides.items() if k in TrainConfig.__dataclass_fields__},
    }
    unknown = (
        set(overrides) - set(GPTConfig.__dataclass_fields__) - set(TrainConfig.__dataclass_fields__)
    )
    if unknown:
        ap.error(f"--ours: unknown settings {sorted(unknown)}")
    our_budgets = (
        [float(b) for b in args.budgets.split(",")]
        if args.budgets
        else [b * scale for b in OUR_BUDGETS]
    )
    base_budgets = [b * scale for b in BASELINE_BUDGETS]
    base_model, base_train = BASELINE["model"], BASELINE["train"]

    train_stories, val_stories = utils.load_tinystories(args.data)
    t0 = time.time()
    char_data = Corpus(train_stories, val_stories, "char")
    bpe_data = Corpus(train_stories, val_stories, "bpe", vocab)
    print(
        f"TinyStories: {len(train_stories):,} training and {len(val_stories):,} validation "
        "stories; "
        f"BPE {vocab} trained and both encodings made in {time.time() - t0:.1f} s; torch threads "
        f"{args.threads}"
    )
    print(
        f"validation: {bpe_data.val_chars:,} characters, {len(bpe_data.val_ids):,} BPE tokens "
        f"({bpe_data.val_chars / len(bpe_data.val_ids):.2f} characters per token)"
    )
    print(f"baseline: {base_model}, {base_train}")
    print(f"ours: vocab {vocab}, model {our_model}, training {our_train}", flush=True)
    result = dict(
        machine=dict(threads=args.threads, torch=torch.__version__),
        quick=args.quick,
        ours=dict(vocab=vocab, model=our_model, train=our_train),
    )

    def per_budget(name, data, model_kw, train_kw, budgets):
        """One fresh run per budget, its schedule spanning the budget: {budget: (bits/char,
        steps)}."""
        scores = {}
        for budget in budgets:
            score, hist = run(data, model_kw, train_kw, budget, [budget])
            scores[budget] = score[budget]
            print(
                f"{name:>8} {budget:5.0f} s: {score[budget][0]:.3f} bits/char after "
                f"{score[budget][1]:,} steps "
                f"(last training loss {hist['loss'][-1]:.3f})",
                flush=True,
            )
        return scores

    base = {}
    if not args.skip_baseline:
        base, _ = run(
            char_data, base_model, base_train, base_budgets[-1], base_budgets
        )  # one run, scored at each budget
        for b, (bpc, n) in base.items():
            print(f"baseline {b:5.0f} s: {bpc:.3f} bits/char after {n:,} steps", flush=True)
        plain_data = (
            bpe_data
            if vocab == PLAIN["vocab_size"]
            else Corpus(train_stories, val_stories, "bpe", PLAIN["vocab_size"])
        )
        plain = per_budget(
            "08 plain",
            plain_data,
            PLAIN["model"],
            PLAIN["train"],
            [b * scale for b in PLAIN_BUDGETS],
        )
        muon = per_budget(
            "muon", bpe_data, MUON["model"], MUON["train"], [b * scale for b in MUON_BUDGETS]
        )
        result["baseline"] = {str(b): dict(bpc=v, steps=n) for b, (v, n) in base.items()}
        result["plain_08"] = {str(b): dict(bpc=v, steps=n) for b, (v, n) in plain.items()}
        result["muon"] = {str(b): dict(bpc=v, steps=n) for b, (v, n) in muon.items()}
    ours = per_budget("ours", bpe_data, our_model, our_train, our_budgets)
    result["ours_runs"] = {str(b): dict(bpc=v, steps=n) for b, (v, n) in ours.items()}

    if not args.skip_baseline:
        shape = dict(block_size=base_model["block_size"], n_layer=4, n_head=4, n_embd=128)
        same_batch = dict(batch_size=base_train["batch_size"])
        tps, runs = interleaved_throughput(
            {
                "baseline": (base_model, base_train),
                "ours": ({**our_model, **shape}, {**our_train, **same_batch}),
                "muon": ({**MUON["model"], **shape}, {**MUON["train"], **same_batch}),
            },
            char_data,
            10 * scale,
        )
        tps_base, tps_ours, tps_muon = tps["baseline"], tps["ours"], tps["muon"]
        result["throughput"] = dict(median=tps, rounds=runs)
        print(
            "\nthroughput at the baseline's shape and batch (characters, 4 layers x 4 heads x "
            "128, block 64, "
            f"batch 12; median of 5 interleaved 10-s runs each): baseline {tps_base:,.0f} "
            "tokens/s, "
            f"ours {tps_ours:,.0f} tokens/s ({tps_ours / tps_base:.2f}x), "
            f"the Muon recipe {tps_muon:,.0f} tokens/s ({tps_muon / tps_base:.2f}x)"
        )
        for name, r in runs.items():
            print(f"  {name:>8}: " + ", ".join(f"{t:,.0f}" for t in r))

        def cell(scores, b):
            return f"{scores[b][0]:.3f}" if b in scores else "-"

        print("\nvalidation bits per character on the held-out stories (lower is better)")
        print(f"{'budget':>8} {'baseline':>9} {'08 plain':>9} {'muon':>7} {'ours':>7}")
        for b in sorted(set(base) | set(plain) | set(muon) | set(ours)):
            print(
                f"{b:7.0f}s {cell(base, b):>9} {cell(plain, b):>9} {cell(muon, b):>7} "
                f"{cell(ours, b):>7}"
            )
        last = base_budgets[-1]
        best_base = base[last][0]
        reached = [
            b for b in our_budgets if ours[b][0] <= best_base
        ]  # our shortest budget at the baseline's best
        ratio = last / min(reached) if reached else None
        result["time_to_quality_ratio"] = ratio
        print(
            f"\ntime-to-quality: ours reaches the baseline's {last:.0f}-s score ({best_base:.3f}) "
            + (
                f"in {min(reached):.0f} s: {ratio:.0f}x faster"
                if reached
                else "in none of its budgets"
            )
        )
        targets = [
            (
                f"ours at {our_budgets[0]:.0f} s <= baseline at {last:.0f} s (>= 20x)",
                ours[our_budgets[0]][0] <= best_base,
            ),
            (
                f"ours at {our_budgets[-1]:.0f} s <= 1.10 bits/char",
                ours[our_budgets[-1]][0] <= 1.10,
            ),
            ("throughput at the baseline's shape >= the baseline's", tps_ours >= tps_base),
        ]
        for text, met in targets:
            print(f"  [{'met' if met else 'MISSED'}] {text}")
        result["targets"] = {text: met for text, met in targets}
    out = Path(__file__).resolve().parents[2] / "artifacts" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpt_time_to_quality.json").write_text(json.dumps(result, indent=1))
    print(f"\nwritten to {out / 'gpt_time_to_quality.json'}")


if __name__ == "__main__":
    main()
