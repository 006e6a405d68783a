"""The walk of lxml trees in C (``cleaner/_tree.pyx``): it reads libxml2's node structs
through lxml's C API, so it is compiled with the headers lxml ships (the other extension
module is declared in pyproject.toml). Optional: without a compiler or lxml's headers the
package installs without it and renders pages with the Python reference."""

from setuptools import Extension, setup


def tree_walk() -> list[Extension]:
    try:
        import lxml
    except ImportError:
        return []
    return [
        Extension(
            "cleaner._tree",
            ["cleaner/_tree.pyx"],
            include_dirs=lxml.get_include(),
            optional=True,
        )
    ]


setup(ext_modules=tree_walk())
