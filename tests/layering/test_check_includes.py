"""check_includes.py on small trees with the project's layers: what it lets through, what it refuses
and what it prints."""
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAYERS = HERE.parent.parent / "src" / "layers.txt"


def check(files):
    """Runs the check on a tree of `files` (path under src/ -> text); returns its exit code and lines."""
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "src").mkdir()
        shutil.copy(LAYERS, Path(root) / "src" / "layers.txt")
        for name, text in files.items():
            (Path(root) / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(root) / "src" / name).write_text(text)
        run = subprocess.run([sys.executable, str(HERE / "check_includes.py"), root],
                             capture_output=True, text=True)
    return run.returncode, run.stdout.splitlines()


class CheckIncludesTest(unittest.TestCase):
    def test_own_and_lower_layers_and_owned_libraries_pass(self):
        code, lines = check({
            "common/error.h": "#include <string>\n",
            "data/reader.cpp": '#include "data/reader.h"\n#include "common/error.h"\n#include <H5Cpp.h>\n',
            "config/config.cpp": "#include <yaml-cpp/yaml.h>\n",
            "dist/mpi.cpp": '#include <mpi.h>\n#include "model/gat.h"\n#include "data/batch.h"\n',
            "tools/main.cpp": '#include "train/trainer.h"\n#include "tools/tool_main.h"\n',
        })
        self.assertEqual((code, lines), (0, []))

    def test_data_including_yaml_cpp_or_a_higher_layer_fails(self):
        code, lines = check({"data/reader.cpp": '#include "common/error.h"\n#include <yaml-cpp/yaml.h>\n'
                                                '  #  include "train/trainer.h"\n'})
        self.assertEqual(code, 1)
        self.assertEqual(lines, [
            "src/data/reader.cpp:2: includes yaml-cpp/yaml.h, which only src/config may",
            "src/data/reader.cpp:3: includes train/trainer.h, but src/data may include only its own headers "
            "and those of src/common",
        ])

    def test_a_sibling_layer_fails(self):
        code, lines = check({"ops/attention.h": '#include "data/batch.h"\n'})
        self.assertEqual(code, 1)
        self.assertEqual(lines, ["src/ops/attention.h:1: includes data/batch.h, but src/ops may include only its "
                                 "own headers and those of src/common"])

    def test_outside_libraries_outside_their_folders_fail(self):
        code, lines = check({"train/step.cpp": "#include <mpi.h>\n#include <nccl.h>\n#include <hdf5.h>\n"})
        self.assertEqual(code, 1)
        self.assertEqual(lines, ["src/train/step.cpp:1: includes mpi.h, which only src/dist may",
                                 "src/train/step.cpp:2: includes nccl.h, which only src/dist may",
                                 "src/train/step.cpp:3: includes hdf5.h, which only src/data may"])

    def test_a_folder_without_a_layer_fails(self):
        code, lines = check({"extra/x.cpp": "\n"})
        self.assertEqual((code, lines), (1, ["src/extra: a folder that src/layers.txt does not place"]))


if __name__ == "__main__":
    unittest.main()
