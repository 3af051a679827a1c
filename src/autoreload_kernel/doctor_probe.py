"""What `autoreload-kernel doctor` asks the Python a kernelspec starts.

This file is run as source (``python -c``) in *that* interpreter, with the
spec's environment, so it uses only the standard library and whatever that
Python has.  It prints one JSON object: the interpreter, the versions of
autoreload_kernel, ipykernel and IPython it imports, whether inotify works, and
what the IPython profile the kernel would read says about reloading.
"""

import glob
import json
import os
import re
import sys

# IPython's own reloader, loaded directly: this kernel cannot stop that one.
DIRECT = re.compile(
    r"IPython\.extensions\.autoreload|from\s+IPython\.extensions\s+import\s+.*\bautoreload\b"
    r"|\bAutoreloadMagics\b"
)
# `%load_ext autoreload` in any spelling: the autoreload kernel makes it a no-op.
LOAD_EXT = re.compile(r"load_ext\W+(IPython\.extensions\.)?autoreload\b")


def _version(module):
    try:
        mod = __import__(module)
    except Exception as exc:  # noqa: BLE001 - any failure to import is the answer
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"version": getattr(mod, "__version__", "?"), "file": getattr(mod, "__file__", None)}


def _inotify():
    try:
        from autoreload_kernel.inotify import open_watcher
    except Exception:  # noqa: BLE001
        return None
    watcher = open_watcher()
    if watcher is None:
        return False
    watcher.close()
    return True


def _profile_dir(argv):
    profile = "default"
    for i, arg in enumerate(argv):
        if arg.startswith("--profile="):
            profile = arg.split("=", 1)[1]
        elif arg == "--profile" and i + 1 < len(argv):
            profile = argv[i + 1]
    try:
        from IPython.paths import get_ipython_dir

        base = get_ipython_dir()
    except Exception:  # noqa: BLE001
        base = os.environ.get("IPYTHONDIR") or os.path.expanduser("~/.ipython")
    return os.path.join(base, f"profile_{profile}")


def _scan_lines(where, lines, found):
    """Record the lines of `where` that load IPython's reloader."""
    lines = ["" if line.lstrip().startswith("#") else line for line in lines]
    direct = any(DIRECT.search(line) for line in lines)
    for number, line in enumerate(lines, 1):
        if direct and (DIRECT.search(line) or "load_ipython_extension" in line):
            found.append({"file": where, "line": number, "text": line.strip(), "kind": "direct"})
        elif LOAD_EXT.search(line):
            found.append({"file": where, "line": number, "text": line.strip(), "kind": "load_ext"})


def _config(profile):
    """Values from the profile's ipython_config.py and ipython_kernel_config.py."""
    out = {"poll": None, "errors": []}
    found = []
    try:
        from traitlets.config.loader import PyFileConfigLoader
    except Exception:  # noqa: BLE001
        return out, found
    for name in ("ipython_config.py", "ipython_kernel_config.py"):
        path = os.path.join(profile, name)
        if not os.path.isfile(path):
            continue
        try:
            config = PyFileConfigLoader(name, path=profile).load_config()
        except Exception as exc:  # noqa: BLE001
            out["errors"].append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        if "poll" in config.get("AutoreloadKernel", {}):
            out["poll"] = {"value": bool(config.AutoreloadKernel.poll), "file": path}
        for section in ("InteractiveShellApp", "IPKernelApp"):
            values = config.get(section, {})
            for ext in values.get("extensions", []) if "extensions" in values else []:
                if str(ext) in ("autoreload", "IPython.extensions.autoreload"):
                    found.append({"file": path, "line": None, "kind": "load_ext",
                                  "text": f"c.{section}.extensions includes {ext!r}"})
            lines = list(values.get("exec_lines", [])) if "exec_lines" in values else []
            _scan_lines(f"{path} (c.{section}.exec_lines)", lines, found)
            for extra in values.get("exec_files", []) if "exec_files" in values else []:
                try:
                    with open(os.path.expanduser(extra), encoding="utf-8") as f:
                        _scan_lines(os.path.abspath(extra), f.read().splitlines(), found)
                except OSError:
                    pass
    return out, found


def probe(argv):
    profile = _profile_dir(argv)
    config, found = _config(profile)
    for path in sorted(glob.glob(os.path.join(profile, "startup", "*.py"))
                       + glob.glob(os.path.join(profile, "startup", "*.ipy"))):
        try:
            with open(path, encoding="utf-8") as f:
                _scan_lines(path, f.read().splitlines(), found)
        except (OSError, UnicodeDecodeError):
            pass
    poll = config["poll"]
    for arg in argv:
        if arg.startswith("--AutoreloadKernel.poll="):
            poll = {"value": arg.split("=", 1)[1].lower() in ("true", "1"), "file": "kernel.json argv"}
    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "autoreload_kernel": _version("autoreload_kernel"),
        "ipykernel": _version("ipykernel"),
        "IPython": _version("IPython"),
        "inotify": _inotify(),
        "poll": poll,
        "profile": profile,
        "config_errors": config["errors"],
        "autoreload_loads": found,
    }


if __name__ == "__main__":
    print(json.dumps(probe(json.loads(sys.argv[1]))))
