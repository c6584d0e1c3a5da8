"""MyTorch: a layered, autograd-free neural-network framework on NumPy and Numba."""
from . import init
from .layers import BatchNorm, Conv2D, Dense, Flatten, Layer, MaxPool2x2, ReLU, Softmax
from .losses import CrossEntropyLoss, MSELoss
from .optim import SGD, Adam
from .random import manual_seed
from .sequential import Sequential
from .threads import get_num_threads, set_num_threads
from .warmup import warmup

__version__ = "0.1.0"

__all__ = [
    "Layer", "Dense", "Conv2D", "MaxPool2x2", "BatchNorm", "ReLU", "Softmax", "Flatten",
    "Sequential", "CrossEntropyLoss", "MSELoss", "SGD", "Adam", "init", "manual_seed",
    "set_num_threads", "get_num_threads", "warmup",
]
