"""Prompts and the generative score of the U4 table-QA tasks (``u4_tableqa*.yaml``)."""

from __future__ import annotations

from typing import Any

from kinyu.evaluation.tasks.u4_tableqa.normalize import cell_value, same_answer

Doc = dict[str, Any]


def doc_to_text(doc: Doc) -> str:
    return f"{doc['table']}\n\n質問: {doc['question']}\n回答:"


def doc_to_target(doc: Doc) -> str:
    return doc["value"]


def doc_to_choice(doc: Doc) -> list[str]:
    return list(doc["choices"])


def doc_to_label(doc: Doc) -> int:
    return int(doc["label"])


def answer_of(generated: str) -> str:
    """The answer in a generation: its first line, without a closing 「。」 or quotes."""
    line = generated.strip().split("\n", 1)[0].strip()
    return line.strip("「」\"'").rstrip("。").strip()


def exact_match(doc: Doc, generated: str) -> bool:
    """The answer, normalised as U4 does, equals the gold value; an answer is also read as a cell
    of its table would be (:func:`cell_value` with the gold cell's unit), so that a figure copied
    as shown (「3,597,951」 under 「(単位：百万円)」) is the value it stands for."""
    answer = answer_of(generated)
    return same_answer(answer, doc["value"]) or same_answer(cell_value(answer, doc["unit"] or None), doc["value"])


def process_results(doc: Doc, results: list[str]) -> dict[str, float]:
    return {"exact_match": float(exact_match(doc, results[0]))}
