"""autoreload-kernel: a Jupyter kernel that reloads your edited modules before every cell."""

__version__ = "0.1.0"

KERNEL_NAME = "python-autoreload"
DISPLAY_NAME = "Python (autoreload)"
