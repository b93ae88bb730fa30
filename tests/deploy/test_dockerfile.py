"""The Dockerfile's promises, checked without a Docker engine (none runs here): pinned base,
non-root runtime, `doran` entrypoint, and no codegen toolchain in the runtime image."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

CODEGEN_ONLY = ("datamodel-code-generator", "datamodel_code_generator", "jinja2")


def _instructions(repo_root: Path) -> list[tuple[str, str]]:
    text = (repo_root / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    stripped = (line.strip() for line in joined.splitlines())
    lines = [line for line in stripped if line and not line.startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _final_stage(repo_root: Path) -> list[tuple[str, str]]:
    instructions = _instructions(repo_root)
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def test_base_image_is_an_exact_release(repo_root: Path) -> None:
    instructions = _instructions(repo_root)
    args = dict(arg.split("=", 1) for op, arg in instructions if op == "ARG" and "=" in arg)
    for op, value in instructions:
        if op == "FROM":
            image = value.split()[0]
            image = args.get(image.strip("${}"), image)
            assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+", image), f"{image} is not pinned"


def test_runtime_stage_runs_doran_as_a_non_root_user(repo_root: Path) -> None:
    final = _final_stage(repo_root)
    users = [value for op, value in final if op == "USER"]
    assert users, "the runtime stage must switch to a non-root USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert [value for op, value in final if op == "ENTRYPOINT"] == ['["doran"]']


def test_runtime_stage_installs_the_wheel_without_extras(repo_root: Path) -> None:
    installs = [value for op, value in _final_stage(repo_root) if op == "RUN" and "pip install" in value]
    assert len(installs) == 1
    assert re.search(r"pip install \S*doran-\*\.whl(\s|$)", installs[0]), installs[0]
    assert "[" not in installs[0], "no extras in the runtime image"


def test_runtime_stage_prepares_the_executor_volumes(repo_root: Path) -> None:
    # A fresh Compose named volume copies the ownership of the image directory it mounts over.
    from doran.settings import Settings
    from doran.venues import simulated_venue_log

    settings = Settings(EXECUTOR_STATE_DIR="/var/lib/unrip/executor-state")
    runs = " ".join(value for op, value in _final_stage(repo_root) if op == "RUN")
    for directory in (settings.executor_state_dir, simulated_venue_log(settings).parent):
        assert f" {directory}" in runs, directory


def test_codegen_toolchain_is_only_an_extra(repo_root: Path) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith(CODEGEN_ONLY)]
    extra = project["optional-dependencies"]["codegen"]
    assert {d.split(">")[0].split("=")[0].lower() for d in extra} >= {"datamodel-code-generator", "jinja2"}


@pytest.mark.parametrize("module", ["doran.publish", "doran.publish.publication", "doran.publish.export"])
def test_publication_imports_without_the_codegen_toolchain(module: str) -> None:
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {CODEGEN_ONLY!r}:\n"
        "            raise ImportError(f'{name} is not in the runtime image')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"import {module}\n"
    )
    result = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
