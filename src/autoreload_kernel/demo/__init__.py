"""The bundled demo notebook (see :mod:`autoreload_kernel.demo_run`)."""
