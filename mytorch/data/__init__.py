"""Data: IDX files, MNIST and Fashion-MNIST loading and download, batching, augmentation."""
from .augment import affine_transform, augment_dataset, random_affine
from .datasets import Dataset, load_dataset
from .download import DownloadError, download_dataset
from .idx import DatasetError, read_idx, write_idx
from .loader import DataLoader

__all__ = [
    "read_idx", "write_idx", "DatasetError", "load_dataset", "Dataset", "download_dataset",
    "DownloadError", "DataLoader", "random_affine", "affine_transform", "augment_dataset",
]
