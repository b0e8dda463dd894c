"""Tests of cs231n.data_utils on a tiny CIFAR-format fixture, the offline default and download."""

import hashlib
import io
import pickle
import ssl
import subprocess
import sys
import tarfile
import urllib.error

import numpy as np
import pytest

from cs231n import data_utils
from cs231n.data_utils import (
    DownloadError,
    download_CIFAR10,
    get_CIFAR10_data,
    load_assignment_data,
    load_CIFAR_batch,
)

ROWS = 24  # rows per fixture batch
KEYS = {"X_train", "y_train", "X_val", "y_val", "X_test", "y_test"}


def write_batch(path, data, labels, bytes_keys=True):
    """Pickle one batch the way the real files look once loaded with latin1."""
    key = (lambda k: k.encode("latin1")) if bytes_keys else (lambda k: k)
    batch = {
        key("batch_label"): key(f"fixture {path.name}"),
        key("labels"): list(map(int, labels)),
        key("data"): data,
        key("filenames"): [key(f"img_{i}.png") for i in range(len(labels))],
    }
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


def make_fixture(root, bytes_keys=True):
    """data_batch_1..5 and test_batch of ROWS random uint8 images each; returns the raw arrays."""
    rng = np.random.RandomState(0)
    root.mkdir(parents=True, exist_ok=True)
    raw = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.randint(0, 256, size=(ROWS, 3072)).astype(np.uint8)
        labels = rng.randint(10, size=ROWS)
        write_batch(root / name, data, labels, bytes_keys)
        raw[name] = (data, labels)
    return raw


@pytest.fixture
def cifar_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CS231N_CIFAR10_DIR", raising=False)
    root = tmp_path / "cifar-10-batches-py"
    return root, make_fixture(root)


@pytest.fixture
def no_cifar(tmp_path, monkeypatch):
    monkeypatch.delenv("CS231N_CIFAR10_DIR", raising=False)
    return tmp_path / "nowhere" / "cifar-10-batches-py"


def as_images(data):
    """Raw CIFAR rows (N, 3072) as (N, 3, 32, 32) floats."""
    return data.reshape(-1, 3, 32, 32).astype(np.float64)


@pytest.mark.parametrize("bytes_keys", [True, False])
def test_load_CIFAR_batch_layout(tmp_path, bytes_keys):
    raw = make_fixture(tmp_path, bytes_keys)
    X, Y = load_CIFAR_batch(tmp_path / "data_batch_2")
    data, labels = raw["data_batch_2"]
    assert X.shape == (ROWS, 32, 32, 3) and X.dtype == np.float64
    np.testing.assert_array_equal(X, as_images(data).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(Y, labels)


def test_get_CIFAR10_data_splits_and_mean(cifar_dir):
    root, raw = cifar_dir
    data = get_CIFAR10_data(num_training=50, num_validation=20, num_test=10, cifar10_dir=root)
    assert set(data) == KEYS
    assert data["X_train"].shape == (50, 3, 32, 32)
    assert data["X_val"].shape == (20, 3, 32, 32)
    assert data["X_test"].shape == (10, 3, 32, 32)

    train = np.concatenate([raw[f"data_batch_{i}"][0] for i in range(1, 6)])
    train_labels = np.concatenate([raw[f"data_batch_{i}"][1] for i in range(1, 6)])
    images = as_images(train)
    mean = images[:50].mean(axis=0)
    np.testing.assert_allclose(data["X_train"], images[:50] - mean)
    np.testing.assert_allclose(data["X_val"], images[50:70] - mean)
    np.testing.assert_allclose(data["X_test"], as_images(raw["test_batch"][0])[:10] - mean)
    np.testing.assert_array_equal(data["y_train"], train_labels[:50])
    np.testing.assert_array_equal(data["y_val"], train_labels[50:70])
    np.testing.assert_array_equal(data["y_test"], raw["test_batch"][1][:10])
    assert np.abs(data["X_train"].mean(axis=0)).max() < 1e-10

    unshifted = get_CIFAR10_data(50, 20, 10, subtract_mean=False, cifar10_dir=root)
    np.testing.assert_array_equal(unshifted["X_train"], images[:50])


def test_environment_variable_sets_default_dir(cifar_dir, monkeypatch):
    root, _ = cifar_dir
    monkeypatch.setenv("CS231N_CIFAR10_DIR", str(root))
    data = get_CIFAR10_data(num_training=30, num_validation=5, num_test=5)
    assert data["X_train"].shape == (30, 3, 32, 32)


def test_missing_dir_message(no_cifar):
    with pytest.raises(FileNotFoundError) as info:
        get_CIFAR10_data(cifar10_dir=no_cifar)
    message = str(info.value)
    assert str(no_cifar) in message
    assert "python -m cs231n.data_utils --download" in message
    assert "make " not in message  # students have no Makefile: only what the handout holds


def test_default_dir_is_inside_the_package(monkeypatch):
    monkeypatch.delenv("CS231N_CIFAR10_DIR", raising=False)
    expected = data_utils.Path(data_utils.__file__).resolve().parent / "datasets"
    assert data_utils.default_cifar10_dir() == expected / "cifar-10-batches-py"


def test_offline_default(no_cifar, capsys):
    np.random.seed(42)
    state = np.random.get_state()[1].copy()
    data = load_assignment_data(cifar10_dir=no_cifar)
    out = capsys.readouterr().out
    assert "OFFLINE DEFAULT" in out and str(no_cifar) in out and "--download" in out
    np.testing.assert_array_equal(np.random.get_state()[1], state)

    assert set(data) == KEYS
    sizes = {"train": 1197, "val": 300, "test": 300}
    for split, n in sizes.items():
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        assert X.shape == (n, 3, 32, 32) and X.dtype == np.float64
        assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
        assert set(np.unique(y)) == set(range(10))
    assert np.abs(data["X_train"].mean(axis=0)).max() < 1e-9

    # Three identical channels, each pixel repeated over a 4x4 block, 0..255 before centering.
    X = data["X_train"]
    np.testing.assert_array_equal(X[:, 0], X[:, 2])
    np.testing.assert_array_equal(X, X[:, :, ::4, ::4].repeat(4, axis=2).repeat(4, axis=3))
    assert 200 < X.max() - X.min() <= 255 * 2

    again = load_assignment_data(cifar10_dir=no_cifar)
    for key in KEYS:
        np.testing.assert_array_equal(data[key], again[key])


def test_offline_default_sizes(no_cifar):
    small = load_assignment_data(100, 50, 40, cifar10_dir=no_cifar)
    assert [len(small[f"y_{s}"]) for s in ("train", "val", "test")] == [100, 50, 40]
    capped = load_assignment_data(1000, 500, 500, cifar10_dir=no_cifar)
    assert [len(capped[f"y_{s}"]) for s in ("train", "val", "test")] == [1000, 300, 300]


def test_load_assignment_data_uses_cifar_when_present(cifar_dir, capsys):
    root, _ = cifar_dir
    data = load_assignment_data(num_training=50, num_validation=20, num_test=10,
                                cifar10_dir=root)
    out = capsys.readouterr().out
    assert "CIFAR-10" in out and str(root) in out and "OFFLINE" not in out
    expected = get_CIFAR10_data(50, 20, 10, cifar10_dir=root)
    assert set(data) == KEYS
    for key in KEYS:
        np.testing.assert_array_equal(data[key], expected[key])


def test_importing_data_utils_does_not_import_sklearn():
    code = "import sys, cs231n.data_utils; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=data_utils.Path(data_utils.__file__).parent.parent, check=True)
    assert result.stdout.strip() == "False"


def refuse_network(*args, **kwargs):
    raise urllib.error.URLError("[Errno -2] Name or service not known")


def test_download_fails_cleanly_without_network(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data_utils.urllib.request, "urlopen", refuse_network)
    with pytest.raises(DownloadError) as info:
        download_CIFAR10(tmp_path)
    message = str(info.value)
    assert "could not download CIFAR-10 from https://www.cs.toronto.edu" in message
    assert "Name or service not known" in message and "internet access" in message
    assert list(tmp_path.iterdir()) == []  # no partial file left behind

    assert data_utils.main(["--download", "--dir", str(tmp_path)]) == 1
    assert "could not download CIFAR-10" in capsys.readouterr().err


def cifar_archive(tmp_path):
    """A tar.gz holding the fixture under cifar-10-batches-py/, as the real archive does."""
    make_fixture(tmp_path / "src" / "cifar-10-batches-py")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buffer.getvalue()


def test_download_checks_md5_and_extracts(tmp_path, monkeypatch):
    payload = cifar_archive(tmp_path)
    monkeypatch.setattr(data_utils.urllib.request, "urlopen",
                        lambda *a, **k: io.BytesIO(payload))
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="MD5"):
        download_CIFAR10(dest)
    assert not (dest / "cifar-10-batches-py").exists()

    monkeypatch.setattr(data_utils, "CIFAR10_MD5", hashlib.md5(payload).hexdigest())
    target = download_CIFAR10(dest)
    assert target == dest / "cifar-10-batches-py"
    assert get_CIFAR10_data(30, 10, 5, cifar10_dir=target)["X_train"].shape == (30, 3, 32, 32)
    assert sorted(p.name for p in dest.iterdir()) == ["cifar-10-batches-py"]


def malicious_tar(path, member_name, kind="file"):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member_name)
        if kind == "symlink":
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        else:
            content = b"pwned"
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


@pytest.mark.parametrize("member, kind", [
    ("../evil.txt", "file"),
    ("cifar-10-batches-py/../../evil.txt", "file"),
    ("/tmp/evil-absolute.txt", "file"),
    ("cifar-10-batches-py/link", "symlink"),
])
def test_extraction_rejects_unsafe_members(tmp_path, member, kind):
    archive = malicious_tar(tmp_path / "bad.tar.gz", member, kind)
    dest = tmp_path / "a" / "b"
    dest.mkdir(parents=True)
    with pytest.raises(DownloadError, match="refusing to extract"):
        data_utils._safe_extract(archive, dest)
    assert not (tmp_path / "a" / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert list(dest.iterdir()) == []


def certificate_error():
    return ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
           "issuer certificate (_ssl.c:1006)")


@pytest.mark.parametrize("raised", [
    lambda: urllib.error.URLError(certificate_error()),  # what urlopen raises
    certificate_error,  # raised as it is (while reading the response)
    lambda: urllib.error.URLError(ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                                  "verify failed (_ssl.c:1006)")),
], ids=["url-error", "bare", "ssl-error-text"])
@pytest.mark.parametrize("certifi_installed", [True, False])
def test_download_names_the_certificate_fix(tmp_path, monkeypatch, capsys, raised,
                                            certifi_installed):
    calls = []

    def fail(*args, **kwargs):
        calls.append(kwargs.get("context"))
        raise raised()

    monkeypatch.setattr(data_utils.urllib.request, "urlopen", fail)
    if not certifi_installed:
        monkeypatch.setattr(data_utils, "_certifi_context", lambda: None)
    with pytest.raises(DownloadError) as info:
        download_CIFAR10(tmp_path)
    message = str(info.value)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"/Applications/Python {version}/Install Certificates.command" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message and "certificate" in message
    assert "internet access" not in message  # the student is online: not the offline advice
    if certifi_installed:  # retried once with certifi's certificates, then said so
        assert len(calls) == 2 and calls[0] is None and calls[1] is not None
        assert "certifi package failed too" in message
        assert "trying again with the certificates of the certifi" in capsys.readouterr().out
    else:
        assert calls == [None]
        assert "-m pip install certifi" in message
    assert list(tmp_path.iterdir()) == []


def test_download_retries_with_certifi_and_succeeds(tmp_path, monkeypatch):
    payload = cifar_archive(tmp_path / "archive")
    monkeypatch.setattr(data_utils, "CIFAR10_MD5", hashlib.md5(payload).hexdigest())

    def open_with_certifi_only(*args, context=None, **kwargs):
        if context is None:
            raise urllib.error.URLError(certificate_error())
        return io.BytesIO(payload)

    monkeypatch.setattr(data_utils.urllib.request, "urlopen", open_with_certifi_only)
    target = download_CIFAR10(tmp_path / "dest")
    assert get_CIFAR10_data(30, 10, 5, cifar10_dir=target)["X_train"].shape == (30, 3, 32, 32)


@pytest.mark.parametrize("error", [
    urllib.error.URLError("[Errno -2] Name or service not known"),
    urllib.error.URLError(TimeoutError("timed out")),
    ConnectionResetError(104, "Connection reset by peer"),
    urllib.error.URLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")),
], ids=["dns", "timeout", "reset", "other-ssl"])
def test_network_failures_keep_the_offline_advice(tmp_path, monkeypatch, error):
    calls = []

    def fail(*args, **kwargs):
        calls.append(kwargs.get("context"))
        raise error

    monkeypatch.setattr(data_utils.urllib.request, "urlopen", fail)
    with pytest.raises(DownloadError) as info:
        download_CIFAR10(tmp_path)
    assert "internet access" in str(info.value)
    assert "Install Certificates" not in str(info.value)
    assert calls == [None]  # no retry with other certificates
