"""Layers: stateful objects with forward, backward, params, grads and buffers."""
from .activation import ReLU, Softmax
from .base import Layer
from .batchnorm import BatchNorm
from .conv import Conv2D
from .dense import Dense
from .flatten import Flatten
from .pool import MaxPool2x2

__all__ = ["Layer", "Dense", "Conv2D", "MaxPool2x2", "BatchNorm", "ReLU", "Softmax", "Flatten"]
