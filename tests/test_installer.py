"""`autoreload-kernel install/uninstall`, run for real into throwaway locations.

Every subprocess gets HOME, JUPYTER_DATA_DIR and JUPYTER_PATH inside tmp_path, so
the real user's Jupyter dirs are never touched, and `jupyter kernelspec list`
is the judge of whether a spec is installed.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from autoreload_kernel import DISPLAY_NAME, KERNEL_NAME, installer, kernelspec

PY = sys.executable
MODULE = [PY, "-m", "autoreload_kernel"]
SCRIPT = [str(Path(PY).parent / "autoreload-kernel")]
LOGOS = {"logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}
REPO = Path(__file__).resolve().parents[1]  # the checkout these tests belong to
KERNEL_DIR = REPO / "kernel"  # the one kernelspec source


@pytest.fixture
def iso(tmp_path):
    """Environment for subprocesses: Jupyter's user/search dirs all inside tmp_path."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("JUPYTER") and k != "PYTHONPATH"
    }
    env.update(
        HOME=str(tmp_path / "home"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_PATH=str(tmp_path / "p" / "share" / "jupyter"),
    )
    return env


def run(args, env, cmd=MODULE, cwd=None):
    return subprocess.run(
        [*cmd, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def ok(args, env, cmd=MODULE):
    proc = run(args, env, cmd)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1, proc.stdout
    return proc


def listed(env, python=None) -> dict:
    """{name: resource_dir} as `jupyter kernelspec list --json` sees it.

    For another `python` (the throwaway venv) run the module that command runs:
    `jupyter` would find its subcommand in *our* bin dir, with our sys.prefix.
    """
    if python is None:
        cmd = [str(Path(PY).parent / "jupyter"), "kernelspec"]
    else:
        cmd = [python, "-m", "jupyter_client.kernelspecapp"]
    proc = subprocess.run(
        [*cmd, "list", "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    specs = json.loads(proc.stdout)["kernelspecs"]
    return {name: Path(info["resource_dir"]) for name, info in specs.items()}


def spec_of(path: Path) -> dict:
    return json.loads((path / "kernel.json").read_text())


def tree(root: Path) -> set:
    return {p.relative_to(root) for p in root.rglob("*")}


# -- each location ------------------------------------------------------------
def test_prefix_install_and_uninstall(tmp_path, iso):
    prefix = tmp_path / "p"
    dest = prefix / "share" / "jupyter" / "kernels" / "ar-prefix"
    proc = ok(["install", "--prefix", str(prefix), "--name", "ar-prefix"], iso)
    assert str(dest) in proc.stdout
    assert proc.stderr == ""  # P/share/jupyter is on JUPYTER_PATH: no note

    assert listed(iso)["ar-prefix"] == dest
    spec = spec_of(dest)
    assert spec == {
        "argv": [PY, "-m", "autoreload_kernel", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True, "supported_encryption": ["curve"]},
        "kernel_protocol_version": "5.5",
    }
    assert {p.name for p in dest.iterdir()} == LOGOS | {"kernel.json"}
    assert os.listdir(dest.parent) == ["ar-prefix"]  # no staging leftovers

    proc = ok(["uninstall", "--prefix", str(prefix), "--name", "ar-prefix"], iso)
    assert str(dest) in proc.stdout
    assert not dest.exists()
    assert "ar-prefix" not in listed(iso)


def test_user_install_and_uninstall_via_console_script(tmp_path, iso):
    dest = tmp_path / "data" / "kernels" / "ar-user"
    proc = ok(["install", "--user", "--name", "ar-user"], iso, cmd=SCRIPT)
    assert str(dest) in proc.stdout
    assert listed(iso)["ar-user"] == dest
    assert os.path.samefile(spec_of(dest)["argv"][0], PY)  # the script runs bin/python3

    proc = ok(["uninstall", "--user", "--name", "ar-user"], iso, cmd=SCRIPT)
    assert str(dest) in proc.stdout
    assert not dest.exists()
    assert "ar-user" not in listed(iso)


def test_python_m_routes_to_our_installer(tmp_path, iso):
    """IPKernelApp has its own `install`; ours must win and write our argv."""
    prefix = tmp_path / "p"
    ok(["install", "--prefix", str(prefix)], iso)
    spec = spec_of(prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME)
    assert spec["argv"][:3] == [PY, "-m", "autoreload_kernel"]
    assert spec["display_name"] == DISPLAY_NAME


def test_name_display_name_and_env(tmp_path, iso):
    prefix = tmp_path / "p"
    args = ["install", "--prefix", str(prefix), "--name", "My.Kernel_2",
            "--display-name", "My AR kernel", "--env", "A", "1", "--env", "B", "two words"]
    proc = ok(args, iso, cmd=SCRIPT)
    dest = prefix / "share" / "jupyter" / "kernels" / "my.kernel_2"  # lower-cased, as Jupyter does
    assert str(dest) in proc.stdout
    spec = spec_of(dest)
    assert spec["display_name"] == "My AR kernel"
    assert spec["env"] == {"A": "1", "B": "two words"}
    assert listed(iso)["my.kernel_2"] == dest
    ok(["uninstall", "--prefix", str(prefix), "--name", "MY.KERNEL_2"], iso, cmd=SCRIPT)
    assert not dest.exists()


def test_reinstall_replaces_cleanly(tmp_path, iso):
    prefix = tmp_path / "p"
    kernels = prefix / "share" / "jupyter" / "kernels"
    ok(["install", "--prefix", str(prefix), "--name", "ar", "--env", "X", "1"], iso)
    ok(["install", "--prefix", str(prefix), "--name", "ar", "--display-name", "Second"], iso)
    spec = spec_of(kernels / "ar")
    assert spec["display_name"] == "Second" and "env" not in spec
    assert os.listdir(kernels) == ["ar"]


@pytest.fixture
def venv(tmp_path):
    """A bare venv whose sys.prefix is in tmp_path but which can import the dev packages."""
    root = tmp_path / "venv"
    subprocess.run([PY, "-m", "venv", "--without-pip", str(root)], check=True, timeout=60)
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))
    # addsitedir (unlike a bare path line) also runs the editable install's .pth files.
    lines = [f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})"]
    (purelib / "_dev_env.pth").write_text("\n".join(lines) + "\n")
    return root, str(python)


def test_sys_prefix_and_default_in_a_venv(venv, iso):
    root, python = venv
    dest = root / "share" / "jupyter" / "kernels" / "ar-env"
    cmd = [python, "-m", "autoreload_kernel"]
    for location in (["--sys-prefix"], []):  # inside a venv the default is --sys-prefix
        proc = ok(["install", *location, "--name", "ar-env"], iso, cmd=cmd)
        assert str(dest) in proc.stdout
        assert spec_of(dest)["argv"][0] == python  # the venv's python, not ours
        assert {p.name for p in dest.iterdir()} == LOGOS | {"kernel.json"}
        assert listed(iso, python)["ar-env"] == dest
        proc = ok(["uninstall", *location, "--name", "ar-env"], iso, cmd=cmd)
        assert str(dest) in proc.stdout
        assert "ar-env" not in listed(iso, python)


def test_default_location_rule(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert installer.default_location() == "user"
    assert installer.kernels_dir() == tmp_path / "data" / "kernels"
    (tmp_path / "conda-meta").mkdir()
    assert installer.default_location() == "sys-prefix"
    assert installer.kernels_dir() == tmp_path / "share" / "jupyter" / "kernels"
    (tmp_path / "conda-meta").rmdir()
    monkeypatch.setattr(sys, "base_prefix", "/somewhere/else")
    assert installer.default_location() == "sys-prefix"


# -- errors: one line, exit 2, nothing written ------------------------------------
@pytest.mark.parametrize(
    "args, problem",
    [
        (["install", "--prefix", "{P}", "--name", "bad name"], "invalid kernel name"),
        (["install", "--prefix", "{P}", "--name", ""], "invalid kernel name"),
        (["install", "--prefix", "{P}", "--name", ".."], "invalid kernel name"),
        (["install", "--prefix", "{P}", "--name", "a/b"], "invalid kernel name"),
        (["install", "--user", "--prefix", "{P}"], "not allowed with"),
        (["install", "--user", "--sys-prefix"], "not allowed with"),
        (["uninstall", "--sys-prefix", "--prefix", "{P}"], "not allowed with"),
        (["install", "--prefix", "{P}", "--env", "K"], "--env: expected 2"),
        (["install", "--prefix", "{P}", "--env", "", "v"], "invalid environment variable"),
        (["install", "--prefix", "{FILE}/sub"], "not a directory"),
        (["uninstall", "--prefix", "{P}", "--name", "nothere"], "no kernelspec 'nothere'"),
        (["uninstall", "--user", "--name", "nothere"], "no kernelspec 'nothere'"),
        (["install", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_errors(tmp_path, iso, args, problem):
    regular_file = tmp_path / "file"
    regular_file.write_text("not a dir")  # a file as parent fails even for root
    args = [a.replace("{P}", str(tmp_path / "p")) for a in args]
    args = [a.replace("{FILE}", str(regular_file)) for a in args]
    before = tree(tmp_path)
    proc = run(args, iso, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("autoreload-kernel: "), proc.stderr
    assert problem in lines[0]
    assert proc.stdout == ""
    assert tree(tmp_path) == before


def test_uninstall_leaves_foreign_specs_alone(tmp_path, iso):
    foreign = tmp_path / "p" / "share" / "jupyter" / "kernels" / "python3"
    foreign.mkdir(parents=True)
    argv = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (foreign / "kernel.json").write_text(json.dumps({"argv": argv}))
    proc = run(["uninstall", "--prefix", str(tmp_path / "p"), "--name", "python3"], iso)
    assert proc.returncode == 2
    assert proc.stderr.startswith("autoreload-kernel: ")
    assert "not an autoreload-kernel" in proc.stderr
    assert (foreign / "kernel.json").is_file()


@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_help(iso, command):
    proc = run([command, "--help"], iso, cmd=SCRIPT)
    assert proc.returncode == 0
    assert "--sys-prefix" in proc.stdout and "--prefix P" in proc.stdout
    text = " ".join(proc.stdout.split())
    assert "default: --sys-prefix inside a venv/conda env, else --user" in text


# -- the Python API and the logos ----------------------------------------------------
def test_api_install_uninstall_and_missing_logos(tmp_path, monkeypatch):
    path = installer.install(name="api", display_name="API", prefix=tmp_path, env={"K": "V"})
    assert path == tmp_path / "share" / "jupyter" / "kernels" / "api"
    assert spec_of(path)["env"] == {"K": "V"}
    assert installer.uninstall(name="api", prefix=tmp_path) == path
    assert not path.exists()
    with pytest.raises(installer.InstallError, match="invalid kernel name"):
        installer.install(name="no way", prefix=tmp_path)

    # A spec source without logos gives a spec without logos; none at all, one line.
    only_json = tmp_path / "only-json"
    only_json.mkdir()
    (only_json / "kernel.json").write_text((KERNEL_DIR / "kernel.json").read_text())
    monkeypatch.setattr(kernelspec, "_CHECKOUT", only_json)
    path = installer.install(name="bare", prefix=tmp_path)
    assert os.listdir(path) == ["kernel.json"]
    monkeypatch.setattr(kernelspec, "_CHECKOUT", tmp_path / "nowhere")
    monkeypatch.setattr(kernelspec, "_installed_dir", lambda: None)
    with pytest.raises(installer.InstallError, match="kernelspec files of this install are missing"):
        installer.install(name="none", prefix=tmp_path)


def test_spec_source_checkout_then_installed_copy(monkeypatch):
    """A checkout (editable install) reads kernel/; a wheel install reads what pip
    put under the prefix, found through the distribution's file list."""
    if Path(kernelspec.__file__).resolve().is_relative_to(REPO / "src"):  # editable
        assert kernelspec.source_dir() == KERNEL_DIR
        monkeypatch.setattr(kernelspec, "_CHECKOUT", KERNEL_DIR.parent / "nowhere")
    installed = kernelspec.source_dir()
    assert installed.parts[-4:] == ("share", "jupyter", "kernels", "python-autoreload")
    assert installed.is_relative_to(sys.prefix)
    assert (installed / "kernel.json").read_bytes() == (KERNEL_DIR / "kernel.json").read_bytes()


@pytest.mark.parametrize("size", [32, 64])
def test_png_logos_are_rgba_of_their_size(size):
    data = (KERNEL_DIR / f"logo-{size}x{size}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour_type) == (size, size, 8, 6)  # 8-bit RGBA
    assert b"<svg" in (KERNEL_DIR / "logo-svg.svg").read_bytes()


# -- end to end: install, then let jupyter_client start what we installed --------------
def test_installed_kernel_runs_with_its_env(tmp_path, iso):
    prefix = tmp_path / "p"
    args = ["--prefix", str(prefix), "--name", "custom", "--env", "AR_TEST_VAR", "hello"]
    ok(["install", *args], iso)
    ksm = KernelSpecManager(kernel_dirs=[str(prefix / "share" / "jupyter" / "kernels")])
    km = KernelManager(
        kernel_name="custom", kernel_spec_manager=ksm, connection_file=str(tmp_path / "conn.json")
    )
    assert km.kernel_spec.argv[0] == PY
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AR_TEST_VAR")}
    km.start_kernel(cwd=str(tmp_path), env=env)
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=60)

        def stdout_of(code):
            out = []

            def hook(msg):
                if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                    out.append(msg["content"]["text"])

            reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
            assert reply["content"]["status"] == "ok", reply["content"]
            return "".join(out).strip()

        assert stdout_of("import os; print(os.environ['AR_TEST_VAR'])") == "hello"
        assert stdout_of("print(type(get_ipython().kernel).__name__)") == "AutoreloadKernel"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
