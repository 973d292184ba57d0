"""What every command shares: the one-line user error, checksummed downloads, atomic writes."""

import hashlib
import os
import shutil
import urllib.request


class CliError(Exception):
    """A user-facing failure; gat_data.main() prints it as one line and exits 2."""


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path, expected, filename, shown_as=None, hint=""):
    got = sha256(path)
    if got != expected:
        raise CliError(f"{shown_as or path}: sha256 {got} does not match the known {expected} "
                       f"(corrupt or not the upstream {filename}){hint}")


def fetch(url, path, expected, filename):
    """Download `url` to `path`. The file lands under its real name only after its checksum
    matched, so an interrupted or bad download leaves nothing behind."""
    part = path + ".part"
    print(f"downloading {url}", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out)
        check_sha256(part, expected, filename, shown_as=url)
        os.replace(part, path)
    except OSError as e:
        raise CliError(f"{url}: download failed ({e})") from e
    finally:
        if os.path.exists(part):
            os.remove(part)


def write_atomic(path, write):
    """Write via `path.tmp` then rename, so a half-written file never has the real name."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
