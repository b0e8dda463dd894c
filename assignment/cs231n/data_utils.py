"""Load CIFAR-10 (or an offline stand-in) as arrays ready for the networks in this package.

Get the data once with `python -m cs231n.data_utils --download [--dir DIR]`.
"""

import argparse
import hashlib
import http.client
import os
import pickle
import ssl
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

__all__ = [
    "load_CIFAR_batch",
    "load_CIFAR10",
    "get_CIFAR10_data",
    "download_CIFAR10",
    "load_assignment_data",
    "default_cifar10_dir",
    "DownloadError",
]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
ENV_VAR = "CS231N_CIFAR10_DIR"
HOW_TO_GET = (
    "Get it with `python -m cs231n.data_utils --download`, run in a terminal in the folder that "
    "holds cs231n/ (it checks the download's checksum; README.md there says more), or point "
    f"the {ENV_VAR} environment variable at an existing {CIFAR10_FOLDER} folder."
)


class DownloadError(RuntimeError):
    """CIFAR-10 could not be downloaded or unpacked; the message says why and what to do."""


def default_cifar10_dir():
    """Where CIFAR-10 is looked for: $CS231N_CIFAR10_DIR, else cs231n/datasets/cifar-10-batches-py."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return Path(__file__).resolve().parent / "datasets" / CIFAR10_FOLDER


def _has_cifar10(directory):
    return all((Path(directory) / name).is_file() for name in CIFAR10_BATCHES)


def load_CIFAR_batch(filename):
    """Load one batch file of the python version of CIFAR-10.

    Inputs:
    - filename: Path of a pickled batch (data_batch_1..5 or test_batch)

    Returns a tuple of:
    - X: Images, float64 array of shape (N, 32, 32, 3) (height, width, channel)
    - Y: Labels, int array of shape (N,)
    """
    with open(filename, "rb") as f:
        # The batches were pickled by Python 2; latin1 turns its byte strings back into arrays.
        batch = pickle.load(f, encoding="latin1")
    data = batch["data"] if "data" in batch else batch[b"data"]
    labels = batch["labels"] if "labels" in batch else batch[b"labels"]
    X = np.asarray(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
    Y = np.asarray(labels)
    return X, Y


def load_CIFAR10(root):
    """Load the whole CIFAR-10 dataset from its python-pickle batches.

    Inputs:
    - root: The cifar-10-batches-py folder

    Returns a tuple of:
    - X_train: (50000, 32, 32, 3) training images, data_batch_1..5 in order
    - y_train: (50000,) training labels
    - X_test: (10000, 32, 32, 3) test images
    - y_test: (10000,) test labels
    """
    root = Path(root)
    parts = [load_CIFAR_batch(root / f"data_batch_{i}") for i in range(1, 6)]
    X_train = np.concatenate([X for X, _ in parts])
    y_train = np.concatenate([Y for _, Y in parts])
    X_test, y_test = load_CIFAR_batch(root / "test_batch")
    return X_train, y_train, X_test, y_test


def get_CIFAR10_data(
    num_training=49000, num_validation=1000, num_test=1000, subtract_mean=True, cifar10_dir=None
):
    """Load CIFAR-10 and split it into training, validation and test sets for the classifiers.

    The validation set is the num_validation training images that follow the first
    num_training ones; the test set is the first num_test images of test_batch.

    Inputs:
    - num_training: Number of training images
    - num_validation: Number of validation images (taken from the training batches)
    - num_test: Number of test images
    - subtract_mean: If True, subtract the mean training image from every split
    - cifar10_dir: The cifar-10-batches-py folder; default $CS231N_CIFAR10_DIR if set,
      else cs231n/datasets/cifar-10-batches-py

    Returns a dictionary with keys:
    - X_train, X_val, X_test: float64 images of shape (N, 3, 32, 32)
    - y_train, y_val, y_test: labels of shape (N,)

    Raises FileNotFoundError, saying where it looked and how to get the data, when the
    folder does not hold the CIFAR-10 batches.
    """
    cifar10_dir = default_cifar10_dir() if cifar10_dir is None else Path(cifar10_dir)
    if not _has_cifar10(cifar10_dir):
        raise FileNotFoundError(f"CIFAR-10 was not found in {cifar10_dir}. {HOW_TO_GET}")

    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir)
    val_rows = slice(num_training, num_training + num_validation)
    X_val, y_val = X_train[val_rows], y_train[val_rows]
    X_train, y_train = X_train[:num_training], y_train[:num_training]
    X_test, y_test = X_test[:num_test], y_test[:num_test]
    return _finish_splits(X_train, y_train, X_val, y_val, X_test, y_test, subtract_mean,
                          channels_last=True)


def _finish_splits(X_train, y_train, X_val, y_val, X_test, y_test, subtract_mean, channels_last):
    """Subtract the training mean image and lay the images out as (N, 3, 32, 32)."""
    if subtract_mean:
        mean_image = X_train.mean(axis=0)
        X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    if channels_last:
        X_train, X_val, X_test = (
            np.ascontiguousarray(X.transpose(0, 3, 1, 2)) for X in (X_train, X_val, X_test)
        )
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": X_test,
        "y_test": y_test,
    }


def _safe_extract(archive, dest_dir):
    """Extract a tar archive into dest_dir, refusing members that could land outside it.

    Raises DownloadError on an absolute path, a '..' component, or a link or device member.
    """
    dest_dir = Path(dest_dir).resolve()
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        for member in members:
            name = member.name
            parts = Path(name).parts
            if os.path.isabs(name) or name.startswith(("/", "\\")) or ".." in parts:
                raise DownloadError(f"refusing to extract {name!r} from {archive}: unsafe path")
            if not (member.isfile() or member.isdir()):
                raise DownloadError(
                    f"refusing to extract {name!r} from {archive}: not a regular file or folder"
                )
            target = (dest_dir / name).resolve()
            if target != dest_dir and dest_dir not in target.parents:
                raise DownloadError(f"refusing to extract {name!r} from {archive}: unsafe path")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 (and the 3.8+ backports)
            tar.extractall(dest_dir, members=members, filter="data")
        else:
            tar.extractall(dest_dir, members=members)


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(out, context=None):
    """Write the CIFAR-10 archive from CIFAR10_URL into the open file `out`."""
    extra = {} if context is None else {"context": context}
    with urllib.request.urlopen(CIFAR10_URL, timeout=60, **extra) as response:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            out.write(chunk)


def _certificate_failure(error):
    """Whether a download error is a failed check of the server's certificate (not a network
    failure): an ssl.SSLCertVerificationError, raised as it is or as the reason of a URLError."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return True
    return isinstance(reason, ssl.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(reason)


def _certifi_context():
    """An SSL context trusting certifi's certificates, or None when certifi is not installed."""
    try:
        import certifi
    except ImportError:
        return None
    return ssl.create_default_context(cafile=certifi.where())


def _certificate_fix():
    """What makes this Python trust the server's certificate: python.org's macOS command, or
    certifi (tried already when it is installed, so then the network is the likelier cause)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    command = f"/Applications/Python {version}/Install Certificates.command"
    mac = (
        f'On macOS with Python from python.org, run "{command}" once: in Finder open '
        f"Applications > Python {version} and double-click Install Certificates.command, or in "
        f'a terminal run: open "{command}". Then run this download again.'
    )
    if _certifi_context() is None:
        other = (
            "Elsewhere (or if that command is missing), install certifi into this Python, "
            f'"{sys.executable}" -m pip install certifi, and run the download again: it then '
            "uses certifi's certificates."
        )
    else:
        other = (
            "The certificates of the certifi package failed too, so a network that inspects "
            "secure connections (some school or company networks) may be in the way: download "
            "on another network, or on another machine, and unpack the archive so that "
            f"cs231n/datasets/{CIFAR10_FOLDER} holds the batches (or set {ENV_VAR} to that "
            "folder)."
        )
    return f"{mac} {other}"


def download_CIFAR10(dest_dir=None):
    """Download and unpack the python version of CIFAR-10 (about 163 MB).

    Inputs:
    - dest_dir: Folder that receives cifar-10-batches-py; default cs231n/datasets (or the
      parent of $CS231N_CIFAR10_DIR when that variable is set)

    Returns:
    - The path of the cifar-10-batches-py folder.

    Raises DownloadError with an explanation when the download fails (without internet
    access, or when this Python cannot verify the server's certificate: then it says how to
    install certificates, after retrying with certifi's), the archive's MD5 checksum is wrong,
    or the archive is unsafe.
    """
    dest_dir = default_cifar10_dir().parent if dest_dir is None else Path(dest_dir)
    target = dest_dir / CIFAR10_FOLDER
    if _has_cifar10(target):
        print(f"CIFAR-10 is already in {target}")
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)

    print(f"Downloading {CIFAR10_URL} to {dest_dir} ...")
    fd, partial = tempfile.mkstemp(prefix="cifar-10-", suffix=".tar.gz.part", dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                try:
                    _fetch(out)
                except OSError as error:
                    context = _certifi_context() if _certificate_failure(error) else None
                    if context is None:
                        raise
                    # This Python's own certificates fail (python.org's macOS installer before
                    # "Install Certificates.command" ran): certifi's, a requirement, may not.
                    print("This Python could not verify the server's certificate; trying again "
                          "with the certificates of the certifi package ...")
                    out.seek(0)
                    out.truncate()
                    _fetch(out, context)
            except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
                reason = getattr(error, "reason", error)
                if _certificate_failure(error):
                    raise DownloadError(
                        f"could not download CIFAR-10 from {CIFAR10_URL}: {reason}. The "
                        "server was reached, but this Python cannot verify its certificate: "
                        f"it lacks the root certificates to check it. {_certificate_fix()}"
                    ) from error
                raise DownloadError(
                    f"could not download CIFAR-10 from {CIFAR10_URL}: {reason}. Download it on "
                    "a machine with internet access and unpack it so that "
                    f"{target} holds {', '.join(CIFAR10_BATCHES)}."
                ) from error
        checksum = _md5(partial)
        if checksum != CIFAR10_MD5:
            raise DownloadError(
                f"the file downloaded from {CIFAR10_URL} is corrupt (MD5 {checksum}, expected "
                f"{CIFAR10_MD5}), so it was deleted: run the same command again."
            )
        print(f"MD5 checksum verified ({checksum}); unpacking ...")
        _safe_extract(partial, dest_dir)
    finally:
        if os.path.exists(partial):
            os.remove(partial)

    if not _has_cifar10(target):
        raise DownloadError(f"the archive from {CIFAR10_URL} did not contain {CIFAR10_FOLDER}")
    print(f"CIFAR-10 is ready in {target}. Restart the notebook's kernel (Kernel > Restart "
          "Kernel) to use it.")
    return target


def _split_sizes(available, num_training, num_validation, num_test):
    """The requested split sizes, shrunk to fit `available` images when they ask for more.

    Validation and test then get at most a sixth of the images each (rounded up), and
    training what is left.
    """
    if num_training + num_validation + num_test <= available:
        return num_training, num_validation, num_test
    share = -(-available // 6)
    num_validation = min(num_validation, share)
    num_test = min(num_test, share)
    num_training = min(num_training, available - num_validation - num_test)
    return num_training, num_validation, num_test


def _load_digits_as_cifar(num_training, num_validation, num_test):
    """scikit-learn's 8x8 handwritten digits, laid out like CIFAR-10 images."""
    # Imported here so that the CIFAR-10 path does not need scikit-learn.
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images * (255.0 / 16.0)  # pixel values 0..16 -> 0..255
    images = images.repeat(4, axis=1).repeat(4, axis=2)  # 8x8 -> 32x32, pixel repetition
    images = np.repeat(images[:, np.newaxis], 3, axis=1).astype(np.float64)  # 3 channels
    labels = digits.target.astype(np.int64)

    # A private generator: shuffling must not move the global random state the notebook seeds.
    order = np.random.RandomState(0).permutation(len(labels))
    images, labels = images[order], labels[order]

    n_train, n_val, n_test = _split_sizes(len(labels), num_training, num_validation, num_test)
    bounds = np.cumsum([0, n_train, n_val, n_test])
    splits = [(images[a:b], labels[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = splits
    return _finish_splits(X_train, y_train, X_val, y_val, X_test, y_test, subtract_mean=True,
                          channels_last=False)


def load_assignment_data(num_training=49000, num_validation=1000, num_test=1000, cifar10_dir=None):
    """The notebook's data: CIFAR-10 when it is available, else an offline stand-in.

    With the CIFAR-10 batches present this is get_CIFAR10_data(...). Otherwise it falls back
    to scikit-learn's 1797 handwritten digits (8x8, 10 classes), scaled to 0..255, upscaled
    to 32x32 by pixel repetition, copied to 3 channels, shuffled with a fixed seed and split
    into the requested sizes, shrunk to fit (1197/300/300 with the defaults). It prints one
    line saying which data it uses.

    Inputs:
    - num_training, num_validation, num_test: Sizes of the three splits
    - cifar10_dir: The cifar-10-batches-py folder; default as in get_CIFAR10_data

    Returns a dictionary with keys:
    - X_train, X_val, X_test: float64 images of shape (N, 3, 32, 32), the mean training
      image subtracted
    - y_train, y_val, y_test: integer labels in 0..9, of shape (N,)
    """
    cifar10_dir = default_cifar10_dir() if cifar10_dir is None else Path(cifar10_dir)
    if _has_cifar10(cifar10_dir):
        print(f"Using CIFAR-10 from {cifar10_dir}")
        return get_CIFAR10_data(num_training, num_validation, num_test, cifar10_dir=cifar10_dir)

    print(
        f"CIFAR-10 was not found in {cifar10_dir}. {HOW_TO_GET} Using the OFFLINE DEFAULT "
        "instead: scikit-learn's handwritten digits (1797 8x8 images, 10 classes), upscaled "
        "to 32x32x3."
    )
    return _load_digits_as_cifar(num_training, num_validation, num_test)


def main(argv=None):
    """Command line: `python -m cs231n.data_utils --download [--dir DIR]`."""
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.data_utils", description="Get the CIFAR-10 dataset."
    )
    parser.add_argument("--download", action="store_true", help="download and unpack CIFAR-10")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help=f"folder that receives {CIFAR10_FOLDER} (default: {default_cifar10_dir().parent})",
    )
    args = parser.parse_args(argv)
    if not args.download:
        where = (args.dir / CIFAR10_FOLDER) if args.dir else default_cifar10_dir()
        state = "present" if _has_cifar10(where) else "missing"
        print(f"CIFAR-10 is {state} in {where}. Use --download to fetch it.")
        return 0
    try:
        download_CIFAR10(args.dir)
    except (DownloadError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
