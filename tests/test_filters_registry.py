"""The quality steps are registered once (``kinyu.corpus.filters.registry.FILTERS``): the config,
its CLI flags, the shipped YAML, the pipeline, the ``removed/<slug>/`` folders and the package's
exports all come from that list, so a new filter is one file and one entry there."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from kinyu.corpus import filters
from kinyu.corpus.filters import JapaneseAnnotator, QualityConfig, quality_steps
from kinyu.corpus.filters.registry import FILTERS

REPO = Path(__file__).resolve().parents[1]


def test_quality_config_has_one_section_per_registered_step_in_pipeline_order():
    assert [(f.name, f.type) for f in fields(QualityConfig)] == [(slug, step.config_class) for slug, step in FILTERS]
    steps = quality_steps(QualityConfig(), None)
    # the one MeCab parse runs after the leading steps that change the text (personal information)
    early = [step for _, step in FILTERS][: next(i for i, (_, s) in enumerate(FILTERS) if not getattr(s, "before_annotator", False))]
    assert early and all(isinstance(s, cls) for s, cls in zip(steps, early))
    assert isinstance(steps[len(early)], JapaneseAnnotator)
    assert [type(s) for s in steps if not isinstance(s, JapaneseAnnotator)] == [step for _, step in FILTERS]
    for _, step in FILTERS:  # exported by name, with its config
        assert getattr(filters, step.__name__) is step and step.__name__ in filters.__all__
        assert getattr(filters, step.config_class.__name__) is step.config_class


def test_each_filter_writes_its_drops_to_removed_slug(tmp_path):
    steps = quality_steps(QualityConfig(), tmp_path)
    folders = {Path(s.exclusion_writer.output_folder.path).name for s in steps if not isinstance(s, JapaneseAnnotator)}
    assert folders == {slug for slug, _ in FILTERS}


# A filter that is not in the product: its own module, as a new corpus/filters/<slug>.py would be.
SHOUTING = '''
from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class ShoutingConfig:
    """Adverts that shout."""

    enabled: bool = option(True, "run the shouting filter")
    # throwaway: no measurement behind it
    max_exclamations: int = option(3, "drop above this many exclamation marks")

    def problems(self) -> list[str]:
        return [] if self.max_exclamations < 1000 else ["max_exclamations: that is no limit"]


class ShoutingFilter(QualityFilter):
    """Drops documents with too many exclamation marks."""

    name = "📣 Shouting"
    config_class = ShoutingConfig

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return doc.text.count("!") <= self.config.max_exclamations or (False, "shouting")
'''

# Registers it the way one line in registry.py would: FILTERS gets the entry before the package
# (and so QualityConfig, the CLI and the pipeline) is made from it.
REGISTER = '''
import importlib.util, sys

import kinyu.corpus

spec = importlib.util.find_spec("kinyu.corpus.filters")
package = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = package
from kinyu.corpus.filters import registry
from shouting import ShoutingFilter

registry.FILTERS += (("shouting", ShoutingFilter),)  # the one line
spec.loader.exec_module(package)

from kinyu.cli import main

sys.exit(main(sys.argv[1:]))
'''

CALM = (
    "当連結会計年度におけるわが国経済は、雇用・所得環境の改善を背景に緩やかな回復基調で推移しました。\n"
    "以上の結果、売上高は前期比12.3%増の4,567億円となりました。\n"
    "営業利益は前期比8.1%増の321億円、経常利益は前期比7.5%増の343億円となりました。"
)
LOUD = (
    "今なら口座開設で手数料が無料になります!\n"
    "新しい投資信託の取り扱いを始めました!\n"
    "積立投資は月々百円から始められます!\n"
    "資産運用のご相談は全国の店舗で承っております!"
)


@pytest.mark.slow
def test_a_filter_registered_in_one_place_is_in_the_config_the_flags_and_the_build(tmp_path):
    (tmp_path / "shouting.py").write_text(SHOUTING, encoding="utf-8")
    (tmp_path / "register.py").write_text(REGISTER, encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "calm.txt").write_text(CALM, encoding="utf-8")
    (inputs / "loud.txt").write_text(LOUD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}

    def kinyu(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(tmp_path / "register.py"), "corpus", "build", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False)

    help_text = kinyu("--help").stdout
    assert "--quality.shouting.max_exclamations" in help_text and "drop above this many exclamation marks (default: 3)" in help_text
    printed = kinyu("--print-config").stdout
    section = printed[printed.index("  shouting:") :]
    assert section.startswith(
        "  shouting:\n    enabled: true  # run the shouting filter\n"
        "    max_exclamations: 3  # drop above this many exclamation marks\n"
    )
    assert printed.index("  domain:") < printed.index("  shouting:")  # in registry order
    bad = kinyu("--quality.shouting.max_exclamations", "5000", "--output", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "quality.shouting.max_exclamations: that is no limit" in bad.stderr

    run = tmp_path / "run"
    built = kinyu("--input", str(inputs), "--output", str(run), "--cache.enabled", "false", "--tasks", "1",
                  "--tokenize.enabled", "false", "--quality.shouting.max_exclamations", "2")  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]

    def ids(folder: Path) -> dict[str, str | None]:
        out = {}
        for path in folder.glob("*.jsonl.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                out |= {(rec := json.loads(line))["id"]: rec["metadata"].get("filter_reason") for line in f}
        return out

    assert ids(run / "docs") == {"in/calm.txt": None}
    assert ids(run / "removed" / "shouting") == {"in/loud.txt": "shouting"}
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert "shouting" in json.dumps(manifest["config"]["quality"])
