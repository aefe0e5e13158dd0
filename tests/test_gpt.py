import json
import math
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from torch.optim.optimizer import register_optimizer_step_post_hook

from utils.gpt import (
    GPT,
    METRICS,
    RECIPES,
    SEP,
    Corpus,
    GPTConfig,
    ReLU2,
    TrainConfig,
    ema_decay,
    load_checkpoint,
    lr_factor,
    optimizers,
    rotary,
    rotate,
    save_checkpoint,
    shuffled_windows,
    summed_nll,
    swap_weights,
    train,
    validation_bpc,
)
from utils.gpt.model import ReLU2Function
from utils.paths import REPO_ROOT
from utils.text import CharVocab

SWITCHES = dict(rope=True, qk_norm=True, relu2=True, zero_init=True)


def tiny(**kw):
    return GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16, **kw)


def test_plain_config_has_notebook_08s_parameter_names_and_shapes():
    sd = GPT(tiny()).state_dict()
    C = 16
    assert sd["tok.weight"].shape == (11, C) and sd["pos.weight"].shape == (8, C)
    assert sd["blocks.0.qkv.weight"].shape == (3 * C, C) and sd["blocks.1.proj.bias"].shape == (C,)
    assert sd["blocks.0.mlp.0.weight"].shape == (4 * C, C) and sd[
        "blocks.0.mlp.2.weight"
    ].shape == (C, 4 * C)
    assert "ln_f.bias" in sd and "head.bias" not in sd
    n = 2 * 11 * C + 8 * C + 2 * (12 * C * C + 13 * C) + 2 * C  # 08's gpt_param_count
    assert sum(p.numel() for p in GPT(tiny()).parameters()) == n


@pytest.mark.parametrize("switches", [{}, SWITCHES, dict(tie=True, bias=False, init_std=0.02)])
def test_causal_and_starts_near_uniform(switches):
    torch.manual_seed(0)
    model = GPT(tiny(**switches))
    x = torch.randint(0, 11, (3, 8))
    x2 = x.clone()
    x2[:, 5] = (x2[:, 5] + 1) % 11
    with torch.no_grad():
        out, out2 = model(x), model(x2)
    assert out.shape == (3, 8, 11)
    assert torch.allclose(out[:, :5], out2[:, :5], atol=1e-6), (
        "a later token changed an earlier prediction"
    )
    loss = F.cross_entropy(out.flatten(0, 1), x.flatten()).item()
    assert abs(loss - math.log(11)) < 0.5


def test_tied_head_shares_the_embedding_and_zero_init_blocks_are_identity():
    m = GPT(tiny(tie=True))
    assert m.head.weight is m.tok.weight
    z = GPT(tiny(zero_init=True, rope=True))
    x = torch.randn(2, 8, 16)
    assert torch.equal(z.blocks[0](x, z.rot[:8, None, None]), x)


def test_rotary_keeps_norms_and_makes_scores_depend_on_offset_only():
    rot = rotary(16, 8)
    q, k = torch.randn(8), torch.randn(8)
    qs, ks = rotate(q.expand(16, 8), rot), rotate(k.expand(16, 8), rot)
    assert torch.allclose(qs.norm(dim=-1), q.norm().expand(16), atol=1e-5)
    assert torch.allclose(qs[3] @ ks[1], qs[9] @ ks[7], atol=1e-5), "score depends on i - j only"


def test_rotate_is_the_pairwise_rotation_written_out():
    x, rot = torch.randn(5, 3, 8), rotary(5, 8)
    cos, sin = rot[..., 0][:, None], rot[..., 1][:, None]  # (T, 1, 4)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    expected = torch.stack([x0 * cos - x1 * sin, x1 * cos + x0 * sin], dim=-1).flatten(-2)
    assert torch.allclose(rotate(x, rot[:, None]), expected, atol=1e-6)


def test_relu2_matches_autograds_relu_squared():
    x = torch.randn(6, 7, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(ReLU2Function.apply, (x,))
    g = torch.randn(6, 7, dtype=torch.double)
    (ours,) = torch.autograd.grad(ReLU2()(x), x, g)
    (ref,) = torch.autograd.grad(F.relu(x).square(), x, g)
    assert torch.allclose(ReLU2()(x), F.relu(x).square()) and torch.allclose(ours, ref)


@pytest.mark.parametrize("relu2, activation", [(False, torch.nn.GELU), (True, ReLU2)])
def test_block_chooses_its_activation_once_and_calls_its_mlp(relu2, activation):
    block = GPT(tiny(relu2=relu2)).blocks[0]
    assert isinstance(block.mlp[1], activation) and block.config.relu2 == relu2
    calls = []
    block.mlp.register_forward_hook(lambda *_: calls.append(1))
    block(torch.randn(2, 8, 16))
    assert calls == [1], "forward runs the MLP as a module (hooks, printing and profiling see it)"


def test_lr_factor_warmup_cosine_and_trapezoid():
    cos = TrainConfig(warmup_steps=10, schedule="cosine")
    assert lr_factor(0.0, 0, cos) == pytest.approx(0.1) and lr_factor(
        0.5, 100, cos
    ) == pytest.approx(0.5)
    assert lr_factor(1.0, 100, cos) == pytest.approx(0.0)
    trap = TrainConfig(warmup_steps=0, schedule="trapezoid", decay_frac=0.4, min_lr_frac=0.1)
    assert lr_factor(0.3, 50, trap) == 1.0 and lr_factor(0.8, 50, trap) == pytest.approx(
        0.1 + 0.9 * 0.5
    )
    assert lr_factor(1.0, 50, trap) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="schedule"):
        lr_factor(0.5, 1, TrainConfig(schedule="linear"))


def test_optimizers_split_parameters_once():
    model = GPT(tiny(**SWITCHES))
    adamw, muon = optimizers(model, TrainConfig(muon_lr=0.02))
    muon_params = {id(p) for g in muon.param_groups for p in g["params"]}
    adam_params = {id(p) for g in adamw.param_groups for p in g["params"]}
    assert not muon_params & adam_params and len(muon_params | adam_params) == len(
        list(model.parameters())
    )
    assert muon_params == {
        id(p) for n, p in model.named_parameters() if n.startswith("blocks.") and p.dim() == 2
    }
    no_decay = [g for g in adamw.param_groups if g["weight_decay"] == 0][0]["params"]
    assert all(p.dim() < 2 for p in no_decay)
    assert len(optimizers(model, TrainConfig())) == 1
    assert optimizers(model, TrainConfig(fused=True))[0].defaults["fused"]
    assert (
        optimizers(model, TrainConfig(muon_lr=0.02, muon_ns_steps=3))[1].param_groups[0]["ns_steps"]
        == 3
    )


def test_validation_bpc_of_a_uniform_model_is_log2_v_per_token():
    class Uniform(torch.nn.Module):
        block_size = 4

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, idx):
            return torch.zeros(*idx.shape, 11) + self.w

    ids = torch.randint(0, 11, (23,))  # 22 predicted tokens: five windows of 4 and a tail of 2
    assert summed_nll(Uniform(), ids) == pytest.approx(22 * math.log(11), rel=1e-6)
    assert validation_bpc(Uniform(), ids, 44) == pytest.approx(math.log2(11) / 2, rel=1e-6)


def test_train_learns_a_repeating_sequence_and_checks_its_budget():
    torch.manual_seed(0)
    ids = torch.arange(11).repeat(40)
    model = GPT(tiny(**SWITCHES))
    seen = []
    hist = train(
        model,
        ids,
        TrainConfig(batch_size=8, lr=1e-2, muon_lr=0.05, steps=60, eval_at=[0.0, 1e9]),
        on_eval=lambda s, step: seen.append(s),
    )
    assert hist["steps"] == 60 and hist["loss"][-1] < 0.2 < hist["loss"][0]
    assert seen == [0.0, 1e9], "every requested evaluation happens, late ones at the end"
    with pytest.raises(ValueError, match="budget"):
        train(model, ids, TrainConfig(steps=None, seconds=None))


def test_shuffled_windows_visit_every_window_of_a_pass_once():
    ids, T = torch.arange(1000) * 10, 7  # token i is 10 i, so a window's start is x[0] / 10
    batches = shuffled_windows(ids, T, 5, torch.Generator().manual_seed(0))
    xs, ys = zip(*(next(batches) for _ in range(60)))  # 300 windows: more than two passes of ~142
    x, y = torch.cat(xs), torch.cat(ys)
    assert x.shape == (300, T) and torch.equal(y, x + 10), (
        "targets are the inputs shifted by one token"
    )
    starts = (x[:, 0] // 10).tolist()
    assert all(torch.equal(row, (s + torch.arange(T)) * 10) for s, row in zip(starts, x)), (
        "contiguous windows"
    )
    first_pass = list(
        range(starts[0] % T, len(ids) - T, T)
    )  # non-overlapping windows from the pass's shift
    assert sorted(starts[: len(first_pass)]) == first_pass, (
        "the first pass visits each of its windows once"
    )
    assert starts[: len(first_pass)] != first_pass, "...in random order"
    assert max(starts) + T < len(ids)
    with pytest.raises(ValueError, match="longer than block_size"):
        next(shuffled_windows(ids[:7], T, 5, torch.Generator()))


def test_ema_decay_starts_short_and_is_capped():
    assert ema_decay(0, 0.995) == pytest.approx(0.1) and ema_decay(90, 0.995) == pytest.approx(0.91)
    assert ema_decay(10**6, 0.995) == 0.995


def test_swap_weights_exchanges_parameters():
    torch.manual_seed(0)
    a, b = GPT(tiny()), GPT(tiny())
    pa, pb = [p.clone() for p in a.parameters()], [p.clone() for p in b.parameters()]
    swap_weights(a, b)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), pb))
    assert all(torch.equal(x, y) for x, y in zip(b.parameters(), pa))


def test_ema_returns_the_moving_average_of_the_weights_after_each_step():
    """The weights after every step of a plain run, averaged by hand, equal what train(ema=...)
    returns (so the average does not change the steps themselves), and on_eval sees the
    average too."""
    ids = torch.arange(11).repeat(40)
    tc = dict(batch_size=4, lr=1e-2, steps=8)
    torch.manual_seed(0)
    plain = GPT(tiny(**SWITCHES))
    after_step = []
    hook = register_optimizer_step_post_hook(
        lambda *_: after_step.append([p.detach().clone() for p in plain.parameters()])
    )
    try:
        train(plain, ids, TrainConfig(**tc))
    finally:
        hook.remove()
    average = after_step[0]
    for n, weights in enumerate(after_step[1:], start=1):
        d = ema_decay(n, 0.9)
        average = [d * a + (1 - d) * w for a, w in zip(average, weights)]
    torch.manual_seed(0)
    model, seen = GPT(tiny(**SWITCHES)), []
    train(
        model,
        ids,
        TrainConfig(**tc, ema=0.9, eval_at=[0.0]),
        on_eval=lambda *_: seen.append([p.detach().clone() for p in model.parameters()]),
    )
    for got, want in zip(model.parameters(), average):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert all(torch.equal(s, w) for s, w in zip(seen[0], after_step[0])), (
        "the first evaluation sees the average after one step: the weights"
    )
    assert any(not torch.allclose(g, r) for g, r in zip(model.parameters(), plain.parameters())), (
        "the average is not the last weights"
    )


def _run(args, tmp_path, name, nproc=None):
    common = [
        "--data",
        str(tmp_path / "stories.txt"),
        "--tokenizer",
        "char",
        "--steps",
        "4",
        "--batch-size",
        "8",
        "--block-size",
        "16",
        "--n-layer",
        "2",
        "--n-embd",
        "32",
        "--log-every",
        "0",
        "--save-rank-params",
        "--out",
        str(tmp_path / name),
    ]
    launcher = (
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
        if nproc
        else [sys.executable]
    )
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("TINYSTORIES_PATH", None)
    r = subprocess.run(
        launcher + ["-m", "utils.gpt"] + common + args,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return json.loads((tmp_path / name / "metrics.json").read_text())


# Two recipes cover both optimiser paths: AdamW (fast: with the moving average and shuffled passes,
# whose weights must agree exactly) and Muon (whose losses must agree)
@pytest.mark.parametrize("recipe", ["fast", "muon"])
def test_torchrun_two_gloo_processes_equal_one_process(recipe, tmp_path):
    words = "the cat sat on a mat and a dog ran to the park with lily who was very happy".split()
    g = torch.Generator().manual_seed(0)
    stories = [
        " ".join(words[i] for i in torch.randint(0, len(words), (50,), generator=g))
        for _ in range(60)
    ]
    (tmp_path / "stories.txt").write_text("<|endoftext|>".join(stories) + "<|endoftext|>")
    two = _run(["--recipe", recipe], tmp_path, "two", nproc=2)
    one = _run(["--recipe", recipe], tmp_path, "one")
    assert two["world_size"] == 2 and one["world_size"] == 1 and two["steps"] == one["steps"] == 4
    rank0, rank1 = (torch.load(tmp_path / "two" / f"params_rank{r}.pt") for r in (0, 1))
    for name, p in rank0.items():
        assert torch.equal(p, rank1[name]), f"{name} differs between the two ranks"
    single = torch.load(tmp_path / "one" / "params_rank0.pt")
    # AdamW: the weights agree too. Muon orthogonalises each update, which magnifies the rounding in
    # the
    # gradient's tiny singular directions: for it, the losses only
    if not RECIPES[recipe]["train"].get("muon_lr"):
        for name, p in rank0.items():
            assert torch.allclose(p, single[name], atol=1e-6), (
                f"{name}: 2 processes and 1 process disagree"
            )
    torch.manual_seed(0)  # the CLI's initial weights: training moved them
    shape = dict(block_size=16, n_layer=2, n_embd=32)
    initial = GPT(
        GPTConfig(len(rank0["tok.weight"]), **{**RECIPES[recipe]["model"], **shape})
    ).state_dict()
    assert not torch.allclose(rank0["blocks.0.qkv.weight"], initial["blocks.0.qkv.weight"])
    assert two["losses"] == pytest.approx(one["losses"], rel=1e-4)
    assert two["val_bits_per_char"] == pytest.approx(one["val_bits_per_char"], rel=1e-3)


def test_corpus_counts_the_characters_of_predicted_tokens():
    train_stories, val_stories = ["one cat sat", "two dogs ran"], ["a cat ran", "dogs sat"]
    char = Corpus(train_stories, val_stories, "char")
    assert char.val_chars == len(SEP.join(val_stories)) - 1 == len(char.val_ids) - 1
    bpe = Corpus(train_stories * 20, val_stories, "bpe", vocab_size=300)
    assert bpe.tok.decode(bpe.val_ids.tolist()) == SEP.join(val_stories)
    first = bpe.tok.decode([int(bpe.val_ids[0])])
    assert bpe.val_chars == len(SEP.join(val_stories)) - len(first) and len(bpe.val_ids) < len(
        char.val_ids
    )
    with pytest.raises(ValueError, match="tokenizer"):
        Corpus(train_stories, val_stories, "words")


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_builds_and_trains_a_step(name):
    r = RECIPES[name]
    model = GPT(GPTConfig(50, **{**r["model"], "block_size": 8}))
    hist = train(
        model, torch.arange(50).repeat(4), TrainConfig(**{**r["train"], "batch_size": 4}, steps=2)
    )
    assert hist["steps"] == 2 and all(math.isfinite(v) for v in hist["loss"])


def _metrics(**more):
    return dict(
        steps=3,
        tokens_seen=96,
        train_seconds=2.0,
        tokens_per_second=48.0,
        val_bits_per_char=1.5,
        **more,
    )


@pytest.mark.parametrize("tokenizer", ["char", "bpe"])
def test_save_then_load_checkpoint_gives_the_same_model_and_tokenizer(tokenizer, tmp_path):
    stories = ["one cat sat on the mat", "two dogs ran to the park"] * 10
    corpus = Corpus(stories, stories[:2], tokenizer, vocab_size=300)
    torch.manual_seed(0)
    model = GPT(GPTConfig(corpus.vocab_size, block_size=8, n_layer=1, n_embd=16, rope=True)).eval()
    path = save_checkpoint(tmp_path, model, corpus.tok, _metrics(losses=[3.0, 2.5]), recipe="x")
    loaded, tok, ckpt = load_checkpoint(path)
    assert loaded.config == model.config and ckpt["config"]["recipe"] == "x"
    assert tok.decode(corpus.val_ids.tolist()) == SEP.join(stories[:2])
    for name, w in model.state_dict().items():  # stored in float16, loaded back as float32
        assert torch.equal(loaded.state_dict()[name], w.half().float()), name
    assert "losses" not in ckpt["metrics"], "curves go to metrics.json only"
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["losses"] == [3.0, 2.5] and saved["config"]["tokenizer"] == tokenizer


def test_save_checkpoint_takes_notebook_08s_own_model_and_demands_the_common_metrics(tmp_path):
    config = GPTConfig(11, block_size=8, n_layer=1, n_embd=16)
    other = GPT(config)  # stands for 08's GPT: the same parameter names, but no .config
    del other.config
    with pytest.raises(ValueError, match="tokens_per_second"):
        save_checkpoint(
            tmp_path,
            other,
            None,
            {k: 1 for k in METRICS if k != "tokens_per_second"},
            config=config,
        )
    with pytest.raises(RuntimeError, match="size mismatch"):
        save_checkpoint(tmp_path, other, None, _metrics(), config=GPTConfig(11, block_size=4))
    path = save_checkpoint(tmp_path, other, CharVocab("abcdefghijk"), _metrics(), config=config)
    assert load_checkpoint(path)[0].config == config


def test_the_storyteller_in_data_loads_and_reports_every_metric():
    path = REPO_ROOT / "data" / "storyteller.pt"
    if not path.is_file():
        pytest.skip("no storyteller checkpoint in data/")
    model, tok, ckpt = load_checkpoint(path)
    assert set(METRICS) <= ckpt["metrics"].keys()
    ids = torch.tensor(tok.encode("Once upon a time").ids)[None]
    with torch.no_grad():
        assert model(ids).shape == (1, ids.shape[1], model.config.vocab_size)
