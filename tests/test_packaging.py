"""The wheel (and the editable wheel) carry the kernelspec as shared data.

pip installs a wheel's ``<name>.data/data/`` tree into the environment's
prefix, so these archives are what makes ``jupyter kernelspec list`` show
``python-autoreload`` after ``pip install .`` or ``pip install -e .``: the
repository's ``kernel/`` becomes ``share/jupyter/kernels/python-autoreload``
and ``share/`` (the man page) goes under the prefix as it is.  We build both
with hatchling, install each with ``pip install --no-deps --prefix`` (nothing
is downloaded), and let Jupyter and our installer find what landed.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = "share/jupyter/kernels/python-autoreload"
MAN = "share/man/man1/autoreload-kernel.1"
FILES = {"kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}


def _build(kind: str, out: Path) -> Path:
    code = (
        "import sys, hatchling.build as b; "
        f"print(b.build_{kind}(sys.argv[1]))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return out / proc.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("kind", ["wheel", "editable"])
def test_wheel_ships_the_kernelspec(kind, tmp_path):
    wheel = _build(kind, tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        data = [n for n in names if f".data/data/{SPEC}/" in n]
        assert {n.rsplit("/", 1)[1] for n in data} == FILES
        assert any(n.endswith(f".data/data/{MAN}") for n in names)
        # kernel/ is shipped once, as that shared data, and nowhere else
        assert sum(n.endswith("/logo-svg.svg") for n in names) == 1
        spec = json.loads(zf.read(next(n for n in data if n.endswith("kernel.json"))))
    assert spec["argv"] == ["python", "-m", "autoreload_kernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "Python (autoreload)"
    assert spec["language"] == "python"
    assert spec["metadata"] == {"debugger": True, "supported_encryption": ["curve"]}
    assert spec["kernel_protocol_version"] == "5.5"
    if kind == "wheel":
        assert "autoreload_kernel/demo/demo.ipynb" in names
        assert "autoreload_kernel/kernel.py" in names


@pytest.mark.parametrize("kind", ["wheel", "editable"])
def test_pip_install_of_the_wheel_gives_jupyter_the_kernelspec(kind, tmp_path):
    wheel = _build(kind, tmp_path / "dist")
    prefix = tmp_path / "prefix"
    proc = subprocess.run(
        # --ignore-installed: else pip removes this environment's own install first
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--ignore-installed", "--prefix", str(prefix), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    installed = prefix / SPEC
    assert {p.name for p in installed.iterdir()} == FILES
    assert (installed / "kernel.json").read_bytes() == (ROOT / "kernel" / "kernel.json").read_bytes()
    assert (prefix / MAN).read_bytes() == (ROOT / MAN).read_bytes()

    site = next(prefix.glob("lib/python*/site-packages"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON"))}
    env.update(JUPYTER_PATH=str(prefix / "share" / "jupyter"), PYTHONPATH=str(site),
               JUPYTER_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)["kernelspecs"]["python-autoreload"]
    assert Path(entry["resource_dir"]) == installed

    # The installer of that install finds the kernelspec pip put there (a wheel has
    # no kernel/ folder beside the package; an editable one reads the checkout's).
    # -S and addsitedir: only that install's site-packages, .pth files included.
    code = (f"import site; site.addsitedir({str(site)!r}); "
            "from autoreload_kernel import kernelspec; print(kernelspec.source_dir())")
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = installed if kind == "wheel" else ROOT / "kernel"
    assert Path(proc.stdout.strip()) == expected.resolve()


def test_installed_environment_lists_the_kernel():
    proc = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    specs = json.loads(proc.stdout)["kernelspecs"]
    assert "python-autoreload" in specs
    entry = specs["python-autoreload"]
    assert entry["spec"]["display_name"] == "Python (autoreload)"
    assert FILES <= {p.name for p in Path(entry["resource_dir"]).iterdir()}


def test_every_third_party_import_is_a_declared_dependency(tmp_path):
    """`pip install .` alone must be enough for everything the package imports
    (the demo once needed nbclient without declaring it)."""
    import ast
    import re
    from importlib.metadata import packages_distributions

    wheel = _build("wheel", tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA")))
    required = {
        re.split(r"[ ;<>=!~\[]", line.split(":", 1)[1].strip())[0].lower().replace("_", "-")
        for line in meta.decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    extras = {line.split(":", 1)[1].strip() for line in meta.decode().splitlines()
              if line.startswith("Provides-Extra:")}
    assert {"lab", "notebook", "console", "test"} <= extras  # the README's front-end extras
    stdlib = set(sys.stdlib_module_names)
    owners = packages_distributions()
    missing = {}
    for path in (ROOT / "src" / "autoreload_kernel").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in stdlib or top in ("autoreload_kernel", "__future__"):
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & required:
                    missing[top] = path.name
    assert not missing, f"imported but not declared: {missing} (declared: {sorted(required)})"
