"""Notebook 08's GPT, the loop that trains it fast on one process or many, and its checkpoints.

- model.py: GPTConfig, Block, GPT (08's model, plus the fast recipe's switches); nothing else
- training.py: TrainConfig, schedules, optimisers, moving average, samplers, the DDP-ready loop
- storyteller.py: tokenizer, corpus, bits/char, RECIPES, save/load_checkpoint, the command line
"""

from .model import GPT, Block, GPTConfig, ReLU2, rotary, rotate
from .storyteller import (
    CHECKPOINT,
    METRICS,
    RECIPES,
    SEP,
    Corpus,
    encode_stories,
    load_checkpoint,
    save_checkpoint,
    summed_nll,
    train_tokenizer,
    validation_bpc,
)
from .training import (
    TrainConfig,
    distributed,
    ema_decay,
    lr_factor,
    moving_average,
    optimizers,
    shuffled_windows,
    swap_weights,
    train,
)
