"""python -m utils.gpt ... (or torchrun ... -m utils.gpt ...): train and save a storyteller."""

from .storyteller import main

main()
