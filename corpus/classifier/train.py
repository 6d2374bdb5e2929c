"""Training the finance-domain classifier: positives and negatives cut into pieces, shuffled with a
seed, one fastText thread (so the same inputs give the same model file), the model written with
its card (sources with their sha256, settings, counts, held-out figures)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from kinyu.base.config import ConfigError, validate
from kinyu.base.runs import atomic_write_json, package_versions, sha256_file
from kinyu.corpus.classifier.config import ClassifierTrainConfig
from kinyu.corpus.classifier.features import FEATURES, LABEL_FINANCE, LABEL_GENERAL, chunks, fasttext_line
from kinyu.corpus.classifier.model import card_path
from kinyu.corpus.classifier.sources import iter_texts


def training_lines(cfg: ClassifierTrainConfig) -> tuple[list[str], dict]:
    """The labelled, shuffled fastText lines and what went into them."""
    rng = random.Random(cfg.seed)
    sides = {}
    for label, sources in ((LABEL_FINANCE, cfg.positives), (LABEL_GENERAL, cfg.negatives)):
        lines, docs, chars, digest = [], 0, 0, hashlib.sha256()
        for doc_id, text in iter_texts(sources):
            docs += 1
            chars += len(text)
            digest.update(doc_id.encode() + b"\0" + text.encode() + b"\0")
            for piece in chunks(text, cfg.chunk_chars):
                line = fasttext_line(piece, cfg.max_chars)
                if line:
                    lines.append(f"{label} {line}")
        if not lines:
            raise ConfigError(f"no text in the {'positives' if label == LABEL_FINANCE else 'negatives'}: {sources}")
        sides[label] = {"sources": list(sources), "documents": docs, "chars": chars, "pieces": len(lines),
                        "sha256": digest.hexdigest(), "lines": lines}
    if cfg.balance:
        target = max(len(s["lines"]) for s in sides.values())
        for s in sides.values():
            base = list(s["lines"])
            rng.shuffle(base)
            s["lines"] = (base * (target // len(base) + 1))[:target]
    lines = [line for s in sides.values() for line in s.pop("lines")]
    rng.shuffle(lines)
    return lines, {"finance" if k == LABEL_FINANCE else "general": v for k, v in sides.items()}


def train_classifier(cfg: ClassifierTrainConfig) -> Path:
    """Train and write ``cfg.out`` and its card; returns the model path."""
    import fasttext

    validate(cfg)
    lines, data = training_lines(cfg)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kinyu-classifier-") as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            model = fasttext.train_supervised(
                str(train_file), dim=cfg.dim, epoch=cfg.epoch, lr=cfg.lr, wordNgrams=cfg.word_ngrams,
                bucket=cfg.bucket, minCount=cfg.min_count, loss="softmax", thread=1, seed=cfg.seed, verbose=0,
            )
        except RuntimeError as e:
            raise ConfigError(f"fastText training failed ({e}): try a lower --lr") from None
        staged = Path(tmp) / out.name
        model.save_model(str(staged))
        shutil.move(str(staged), str(out))
    card = {
        "kind": "kinyu finance-domain classifier (fastText)",
        "features": FEATURES,
        "max_chars": cfg.max_chars,
        "labels": [LABEL_FINANCE, LABEL_GENERAL],
        "model_sha256": sha256_file(out),
        "settings": {k: v for k, v in asdict(cfg).items() if k not in ("positives", "negatives", "heldout_positives", "heldout_negatives", "out")},
        "training": {**data, "lines": len(lines)},
        "versions": {k: v for k, v in package_versions(("kinyu", "fasttext-wheel", "fasttext")).items() if v},
    }
    atomic_write_json(card_path(out), card)
    return out


def update_card(model_path: Path, **fields) -> dict:
    path = card_path(model_path)
    card = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    card.update(fields)
    atomic_write_json(path, card)
    return card
