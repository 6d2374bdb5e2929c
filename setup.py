"""The package layout (everything else is in pyproject.toml): one import name, ``kinyu``, over the
repository's top-level folders, so a new subpackage under any of them is found without an edit."""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "kinyu": "kinyu",
    "kinyu.corpus": "corpus",
    "kinyu.training": "training",
    "kinyu.evaluation": "evaluation",
    "kinyu.configs": "configs",  # data only: the shipped default configs
}

packages = []
for name, folder in PACKAGE_DIRS.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=PACKAGE_DIRS)
