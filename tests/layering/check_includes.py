#!/usr/bin/env python3
"""Checks every #include under ROOT/src/FOLDER/ against the layers in ROOT/src/layers.txt.

    check_includes.py ROOT

A folder may include its own headers and those of the folders on earlier lines in
src/layers.txt; an outside library's headers only from the one folder that owns it. Prints one
line per include that breaks this, e.g.
    src/data/reader.cpp:4: includes yaml-cpp/yaml.h, which only src/config may
and exits 1 if there is any. The build already refuses mpi.h, nccl.h and HDF5 outside their
folders (CMakeLists.txt links them privately); yaml-cpp's headers are in the compiler's default
include path, where only this check sees them.
"""
import re
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')

# Each outside library's headers and the folder that may include them.
OWNED_HEADERS = [
    (re.compile(r"yaml-cpp/.*"), "config"),
    (re.compile(r"(H5\w*|hdf5\w*)\.h"), "data"),
    (re.compile(r"mpi\w*\.h"), "dist"),
    (re.compile(r"nccl\w*\.h"), "dist"),
]


def read_layers(path):
    """Each folder and the folders it may include: its own and those on earlier lines."""
    allowed, below = {}, []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        folders = line.split()
        for folder in folders:
            allowed[folder] = set(below) | {folder}
        below += folders
    return allowed


def problem(folder, header, allowed):
    """Why code in `folder` may not include `header`, or None where it may."""
    for pattern, owner in OWNED_HEADERS:
        if pattern.fullmatch(header):
            return None if folder == owner else f"which only src/{owner} may"
    project = header.split("/")[0]
    if project in allowed and project not in allowed[folder]:
        may = ", ".join(f"src/{f}" for f in sorted(allowed[folder] - {folder}))
        return f"but src/{folder} may include only its own headers" + (f" and those of {may}" if may else "")
    return None


def violations(root):
    allowed = read_layers(root / "src" / "layers.txt")
    for folder_path in sorted(p for p in (root / "src").iterdir() if p.is_dir()):
        folder = folder_path.name
        if folder not in allowed:
            yield f"src/{folder}: a folder that src/layers.txt does not place"
            continue
        for path in sorted(p for p in folder_path.rglob("*") if p.is_file()):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                why = match and problem(folder, match.group(1), allowed)
                if why:
                    yield f"{path.relative_to(root).as_posix()}:{number}: includes {match.group(1)}, {why}"


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: check_includes.py ROOT")
    found = list(violations(Path(argv[1])))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
