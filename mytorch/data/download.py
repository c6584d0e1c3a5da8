"""Fetch the MNIST and Fashion-MNIST files from public mirrors: each file is verified
before it appears in the target directory, and a mirror that fails is skipped for the next."""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.request
from pathlib import Path

from ..atomic import atomic_write
from .idx import DatasetError, read_idx

# Dataset field -> file name; the same four names for every dataset here.
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# Base URLs, tried in order; tests replace these with a local server.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

# sha256 of each .gz file as the mirrors serve it; None where unknown, in which case the
# file is checked by parsing it as IDX instead (header, size and gzip CRC).
# MNIST: the values that many independent projects pin (TensorFlow Datasets, Bazel
# http_file rules, torchvision-based scripts) for these exact files; they could not be
# checked against the files here, which has no network.
# Fashion-MNIST: unknown. Debian's dataset-fashion-mnist re-compressed the files (no
# stored name, a 2020 timestamp: md5s differ from the upstream README's), so hashing the
# local copies would reject the genuine upstream files.
SHA256: dict[str, dict[str, str | None]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {filename: None for filename in FILES.values()},
}

CHUNK_BYTES = 1 << 16


class DownloadError(OSError):
    """No mirror delivered a valid copy of a file."""


def download_dataset(name: str, directory: str | os.PathLike, mirrors: list[str] | None = None,
                     progress: bool = True, timeout: float = 30.0) -> Path:
    """Download the four files of a dataset into ``directory``, skipping valid ones present.

    Each file is tried on every mirror in turn until one delivers it intact: any HTTP or
    connection error, timeout, short read or checksum mismatch moves on to the next
    mirror. A file is written to a temporary name in ``directory``, verified, then renamed,
    so a failed download leaves no partial file behind.

    Args:
        name: 'mnist' or 'fashion-mnist'.
        directory: where the files go; created if missing.
        mirrors: base URLs to try in order; default ``MIRRORS[name]``.
        progress: show a progress bar (only when stderr is a terminal and tqdm is installed).
        timeout: seconds any one network operation (connect or read) may block.

    Returns:
        ``directory`` as a Path.

    Raises:
        ValueError: unknown dataset name.
        DownloadError: a file could not be fetched intact from any mirror.
    """
    if name not in SHA256:
        raise ValueError(f"download_dataset: expected a dataset name in {sorted(SHA256)}, "
                         f"got {name!r}")
    mirrors = MIRRORS[name] if mirrors is None else mirrors
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for filename, sha256 in SHA256[name].items():
        target = directory / filename
        if target.exists() and _is_intact(target, sha256):
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + filename
            try:
                _fetch(url, target, sha256, timeout, progress)
                break
            # HTTPError and URLError are OSErrors, so are timeouts; a bad file is a ValueError.
            except (OSError, http.client.HTTPException, ValueError) as err:
                errors.append(f"{url}: {err}")
        else:
            tried = "\n  ".join(errors) if errors else "(no mirrors given)"
            raise DownloadError(f"could not download {filename} for {name!r}; tried:\n  {tried}")
    return directory


def _fetch(url: str, target: Path, sha256: str | None, timeout: float, progress: bool) -> None:
    """Stream url to a temporary file beside target, verify it, then rename it to target."""
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(target) as file:
        length = response.headers.get("Content-Length")
        expected_bytes = int(length) if length is not None else None
        digest = hashlib.sha256()
        received = 0
        with _progress_bar(expected_bytes, target.name, progress) as bar:
            while chunk := response.read(CHUNK_BYTES):
                file.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        # http.client does not raise when the server closes early; check the length here.
        if expected_bytes is not None and received != expected_bytes:
            raise DatasetError(f"expected {expected_bytes} bytes, got {received} (cut short)")
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DatasetError(f"checksum mismatch: expected sha256 {sha256}, "
                               f"got {digest.hexdigest()}")
        if sha256 is None:
            file.flush()
            read_idx(file.name)


def _is_intact(path: Path, sha256: str | None) -> bool:
    """Whether a file already on disk passes the same check as a fresh download."""
    if sha256 is not None:
        digest = hashlib.sha256()
        with open(path, "rb") as file:  # hashlib.file_digest would need Python 3.11
            while chunk := file.read(CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest() == sha256
    try:
        read_idx(path)
    except ValueError:
        return False
    return True


class _NoProgress:
    """Stands in for a tqdm bar when none is shown."""

    def __enter__(self) -> "_NoProgress":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def update(self, n: int) -> None:
        pass


def _progress_bar(total: int | None, description: str, enabled: bool):
    """A tqdm bar over bytes, or a silent stand-in: tqdm is optional, and a bar only
    clutters logs when stderr is not a terminal."""
    if enabled and sys.stderr.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            return _NoProgress()
        return tqdm(total=total, desc=description, unit="B", unit_scale=True,
                    unit_divisor=1024, leave=False)
    return _NoProgress()
