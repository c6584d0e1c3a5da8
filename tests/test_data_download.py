"""download_dataset and load_dataset(download=True) against a local HTTP server with
mirrors that fail in each way: HTTP errors, refused connections, corrupt or short files,
stalls."""
import hashlib
import http.server
import threading
import time

import numpy as np
import pytest

from mytorch.data import Dataset, DownloadError, download_dataset, load_dataset, write_idx
from mytorch.data import datasets, download

FILES = list(download.FILES.values())


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``routes[path] = (status, body)``; a body under /short/ is cut short of its
    Content-Length and one under /slow/ is sent after a delay. Unknown paths are 404."""

    routes: dict = {}
    requests: list = []

    def do_GET(self):
        self.requests.append(self.path)
        if self.path.startswith("/slow/"):
            time.sleep(1.0)
        status, body = self.routes.get(self.path, (404, b"not here"))
        try:
            self.send_response(status)
            self.send_header("Content-Length",
                             str(len(body) + 100 * self.path.startswith("/short/")))
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:  # the client gave up on a /slow/ reply: that is the point
            pass

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server():
    Handler.routes, Handler.requests = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False  # don't wait for a /slow/ handler at teardown
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def remote(tmp_path, monkeypatch):
    """A small data set as .gz bytes, with its checksums installed as the known ones."""
    rng = np.random.default_rng(0)
    data = Dataset(rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
                   rng.integers(0, 10, 12, dtype=np.uint8),
                   rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
                   rng.integers(0, 10, 5, dtype=np.uint8))
    (tmp_path / "src").mkdir()
    blobs = {}
    for filename, array in zip(FILES, data):
        write_idx(tmp_path / "src" / filename, array)
        blobs[filename] = (tmp_path / "src" / filename).read_bytes()
    monkeypatch.setitem(download.SHA256, "mnist",
                        {f: hashlib.sha256(b).hexdigest() for f, b in blobs.items()})
    return data, blobs


def serve(base, mirror, blobs, status=200, mangle=lambda b: b):
    """Put every file under base/mirror/ and return that mirror's URL."""
    for filename, blob in blobs.items():
        Handler.routes[f"/{mirror}/{filename}"] = (status, mangle(blob))
    return f"{base}/{mirror}/"


def corrupt(blob):
    """Same length, one payload byte changed: only the checksum can tell."""
    return blob[:-20] + bytes([blob[-20] ^ 0xFF]) + blob[-19:]


def test_falls_back_past_failing_mirrors_to_a_good_one(server, remote, tmp_path):
    data, blobs = remote
    mirrors = ["http://127.0.0.1:1/refused/",  # nothing listens on port 1
               f"{server}/missing/",  # 404
               serve(server, "broken", blobs, status=500),
               serve(server, "corrupt", blobs, mangle=corrupt),
               serve(server, "good", blobs)]
    target = download_dataset("mnist", tmp_path / "out", mirrors=mirrors, progress=False)
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)  # no leftovers
    for filename in FILES:
        assert (target / filename).read_bytes() == blobs[filename]
    # Each file went through the HTTP mirrors in order.
    assert Handler.requests[:4] == [f"/{m}/{FILES[0]}" for m in ("missing", "broken", "corrupt",
                                                                 "good")]
    assert len(Handler.requests) == 4 * len(FILES)


def test_all_mirrors_failing_raises_and_leaves_no_partial_file(server, remote, tmp_path):
    _, blobs = remote
    mirrors = [f"{server}/missing/", serve(server, "corrupt", blobs, mangle=corrupt),
               serve(server, "short", blobs)]
    with pytest.raises(DownloadError) as info:
        download_dataset("mnist", tmp_path / "out", mirrors=mirrors, progress=False)
    message = str(info.value)
    assert FILES[0] in message
    assert "404" in message
    assert "checksum mismatch" in message and download.SHA256["mnist"][FILES[0]] in message
    assert "cut short" in message
    assert list((tmp_path / "out").iterdir()) == []


def test_unknown_checksum_falls_back_to_parsing_the_file(server, remote, tmp_path, monkeypatch):
    _, blobs = remote
    monkeypatch.setitem(download.SHA256, "mnist", {f: None for f in FILES})
    truncated = serve(server, "truncated", blobs, mangle=lambda b: b[: len(b) // 2])
    good = serve(server, "good", blobs)
    target = download_dataset("mnist", tmp_path / "out", mirrors=[truncated, good],
                              progress=False)
    assert (target / FILES[0]).read_bytes() == blobs[FILES[0]]
    assert f"/truncated/{FILES[0]}" in Handler.requests


def test_a_stalled_mirror_times_out_and_the_next_is_used(server, remote, tmp_path):
    _, blobs = remote
    mirrors = [serve(server, "slow", blobs), serve(server, "good", blobs)]
    start = time.monotonic()
    download_dataset("mnist", tmp_path / "out", mirrors=mirrors, progress=False, timeout=0.2)
    assert time.monotonic() - start < 4 * 1.0  # never waited out the 1 s stall per file
    assert (tmp_path / "out" / FILES[3]).read_bytes() == blobs[FILES[3]]


def test_intact_files_are_not_fetched_again_but_damaged_ones_are(server, remote, tmp_path):
    _, blobs = remote
    mirror = serve(server, "good", blobs)
    download_dataset("mnist", tmp_path / "out", mirrors=[mirror], progress=False)
    (tmp_path / "out" / FILES[1]).write_bytes(b"damaged")
    Handler.requests.clear()
    download_dataset("mnist", tmp_path / "out", mirrors=[mirror], progress=False)
    assert Handler.requests == [f"/good/{FILES[1]}"]
    assert (tmp_path / "out" / FILES[1]).read_bytes() == blobs[FILES[1]]


def test_unknown_dataset_name_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="'emnist'"):
        download_dataset("emnist", tmp_path)


def test_load_dataset_downloads_into_the_cache_and_then_finds_it(server, remote, tmp_path,
                                                                  monkeypatch):
    data, blobs = remote
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setitem(download.MIRRORS, "mnist",
                        [f"{server}/missing/", serve(server, "good", blobs)])
    with pytest.raises(FileNotFoundError):
        load_dataset("mnist")
    loaded = load_dataset("mnist", download=True, progress=False)
    for got, want in zip(loaded, data):
        np.testing.assert_array_equal(got, want)
    assert sorted(p.name for p in (tmp_path / "cache" / "mytorch" / "mnist").iterdir()) == \
        sorted(FILES)
    Handler.requests.clear()
    np.testing.assert_array_equal(load_dataset("mnist").train_images, data.train_images)
    assert Handler.requests == []  # found in the cache, no network


def test_default_mirrors_are_the_documented_ones():
    assert download.MIRRORS["mnist"] == ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                                         "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    assert download.MIRRORS["fashion-mnist"] == [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    assert set(download.SHA256["mnist"]) == set(FILES) == set(download.SHA256["fashion-mnist"])


def test_progress_bar_only_when_asked_and_on_a_terminal(monkeypatch):
    tqdm = pytest.importorskip("tqdm")
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    with download._progress_bar(10, "file", enabled=True) as bar:
        assert isinstance(bar, tqdm.tqdm)
    assert not isinstance(download._progress_bar(10, "file", enabled=False), tqdm.tqdm)
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert not isinstance(download._progress_bar(10, "file", enabled=True), tqdm.tqdm)
