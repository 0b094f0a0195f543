"""The demo warehouse's semantic model, shipped beside this module as `model.yaml`."""

from functools import cache
from pathlib import Path

from parley.assistant.semantic_model import SemanticModel, load_model

MODEL_PATH = Path(__file__).with_name("model.yaml")


@cache
def load_demo_model() -> SemanticModel:
    """The parsed demo model (read once per process: the file ships with the package)."""
    return load_model(MODEL_PATH)
