"""Prompt texts of japanese-lm-fin-harness, re-expressed for our task YAMLs.

Each function renders one document (lm-eval ``doc_to_text`` / ``doc_to_target`` /
``doc_to_choice``) exactly as upstream's ``jlm_fin_eval/tasks/<task>/utils.py`` does; the
suffix names the prompt version it serves (``00`` = default, ``01`` = 1.0-0.1, ``01_2`` =
1.0-0.1.2, ...). The task descriptions (the instruction lines before each item) live in the
YAML files, as upstream's do. ``tests/test_eval_tasks.py`` pins the rendered first item of
every task against upstream's text.

Documents have ``question``, ``context`` (may be empty), ``choices = {"id": [...], "text": [...]}``
and ``answer`` (a choice id).
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

LLAMA2_INSTRUCTION = "与えられた選択肢の中から、最適な答えを選んでください。"
CPA_LLAMA2_INSTRUCTION = "与えられた答えの組み合わせの選択肢の中から、最適な選択肢を選んでください。"


def letter(index: int) -> str:
    return chr(ord("A") + index)


def _pairs(doc: Doc):
    return zip(doc["choices"]["id"], doc["choices"]["text"])


def _question_lines(doc: Doc) -> str:
    """Question and context, each closed by a newline (versions 00 to 03)."""
    text = doc["question"] + "\n"
    if doc["context"]:
        text += doc["context"] + "\n"
    return text


def _question_joined(doc: Doc) -> str:
    """Question, then context after a newline, with nothing after (versions 04 to 06)."""
    text = doc["question"]
    if doc["context"]:
        text += "\n" + doc["context"]
    return text


def _bullets(doc: Doc, sep: str = "\n") -> str:
    return sep.join(f"- {text}" for text in doc["choices"]["text"])


# ---- targets and choices ---------------------------------------------------------------------


def target_letter(doc: Doc) -> str:
    return letter(int(doc["answer"]))


def choices_letters(doc: Doc) -> list[str]:
    return [letter(cid) for cid in doc["choices"]["id"]]


def target_text(doc: Doc) -> str:
    return next(text for cid, text in _pairs(doc) if cid == doc["answer"])


def choices_texts(doc: Doc) -> list[str]:
    return list(doc["choices"]["text"])


def target_number(doc: Doc) -> str:
    return next(str(cid) for cid in doc["choices"]["id"] if cid == doc["answer"])


def choices_numbers(doc: Doc) -> list[str]:
    return [str(cid) for cid in doc["choices"]["id"]]


def target_position_letter(doc: Doc) -> str:
    """The letter of the answer's position among the choices (fp2 1.0-0.1.2)."""
    return letter(list(doc["choices"]["id"]).index(doc["answer"]))


def choices_position_letters(doc: Doc) -> list[str]:
    return [letter(i) for i in range(len(doc["choices"]["id"]))]


# ---- questions with their options listed (cma_basics, cpa_audit, security_sales_1) -----------


def text_lettered_00(doc: Doc) -> str:
    options = "".join(f"{letter(cid)}: {text}\n" for cid, text in _pairs(doc))
    return f"【問題】\n{_question_lines(doc)}\n【選択肢】\n{options}\n【答え】\n"


def text_bracketed_01(doc: Doc) -> str:
    return f"[問題]:{_question_lines(doc)}[選択肢]:[{', '.join(doc['choices']['text'])}]\n[答え]:"


def text_bracketed_lettered_01_2(doc: Doc) -> str:
    options = ", ".join(f"{letter(cid)}:{text}" for cid, text in _pairs(doc))
    return f"[問題]:{_question_lines(doc)}[選択肢]:[{options}]\n[答え]:"


def text_numbered_02(doc: Doc) -> str:
    options = ",".join(f"{cid}.{text}" for cid, text in _pairs(doc))
    return f"質問:{_question_lines(doc)}選択肢:{options}\n回答:"


def text_bullets_02_1(doc: Doc) -> str:
    return f"質問:{_question_lines(doc)}選択肢:\n{_bullets(doc)}\n回答:"


def text_alpaca_03(doc: Doc) -> str:
    body = f"{_question_lines(doc)}出力は以下から選択してください：\n{_bullets(doc)}"
    return f"### 入力:\n{body}\n\n### 応答:\n"


def text_rinna_04(doc: Doc, sep: str = "<NL>") -> str:
    body = f"質問：{_question_joined(doc)}{sep}選択肢：{sep}{_bullets(doc, sep)}"
    return f"ユーザー: {body}{sep}システム: "


def text_rinna_bilingual_05(doc: Doc) -> str:
    return text_rinna_04(doc, sep="\n")


def text_llama2_06(doc: Doc, instruction: str = LLAMA2_INSTRUCTION) -> str:
    body = f"質問：{_question_joined(doc)}出力は以下から選択してください：\n{_bullets(doc)}"
    return f"{instruction}\n\n{body} [/INST] "


def text_llama2_cpa_06(doc: Doc) -> str:
    return text_llama2_06(doc, CPA_LLAMA2_INSTRUCTION)


# ---- fp2: the options are spelled out in the context, the choices are their numbers -----------


def fp2_text_00(doc: Doc) -> str:
    return f"【問題】\n{_question_lines(doc)}\n【答え】\n"


def fp2_text_02_1(doc: Doc) -> str:
    return f"質問:{_question_lines(doc)}\n回答:"


def fp2_text_03(doc: Doc) -> str:
    return f"### 入力:\n{_question_lines(doc)}\n### 応答:\n"


def fp2_text_04(doc: Doc, sep: str = "<NL>") -> str:
    return f"ユーザー: {_question_joined(doc)}{sep}システム: "


def fp2_text_05(doc: Doc) -> str:
    return fp2_text_04(doc, sep="\n")


def fp2_text_06(doc: Doc) -> str:
    return f"{LLAMA2_INSTRUCTION}\n\n質問：{_question_joined(doc)} [/INST] "
