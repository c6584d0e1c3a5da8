"""The two documented models, rebuilt with their training recipes."""
from .classifier import Classifier
from .cnn import MyCNN
from .mlp import MyMLP

__all__ = ["Classifier", "MyCNN", "MyMLP"]
