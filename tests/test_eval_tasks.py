"""Our task definitions render exactly upstream's prompts and select upstream's items.

The expected strings are written here from japanese-lm-fin-harness's task YAMLs and utils.py
(commit aeff729; description + 0-shot item, as lm-eval joins them), with the item's fields
read straight from the raw data files, so the benchmark text itself is not copied into the
repository. The actual strings come from lm-eval's own ``fewshot_context`` on our YAMLs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kinyu.evaluation.harness import EvalError, check_data, check_model_dir, check_tasks, set_offline, task_manager


@pytest.fixture(scope="module")
def rendered(fin_harness, chabsa_dir):
    set_offline()
    names = ["chabsa", "cma_basics", "cpa_audit", "fp2", "security_sales_1",
             "chabsa-1.0-0.1", "chabsa-1.0-0.3", "cma_basics-1.0-0.4", "cpa_audit-1.0-0.6", "fp2-1.0-0.1.2"]
    tasks = task_manager(fin_harness, chabsa_dir).load(names)["tasks"]
    out = {}
    for name, task in tasks.items():
        doc = task.test_docs()[0]
        out[name] = {
            "prompt": task.fewshot_context(doc, 0),
            "choices": task.doc_to_choice(doc),
            "target": task.doc_to_target(doc),
            "delimiter": task.config.target_delimiter,
            "n": len(task.test_docs()),
        }
    return out


def raw_json_first(fin, task):
    return json.loads((fin / task / "data.json").read_text(encoding="utf-8"))["data"][0]


def first_chabsa_opinion(chabsa):
    path = sorted(chabsa.glob("*.json"))[0]
    s = json.loads(path.read_text(encoding="utf-8"))["sentences"][0]
    return s["sentence"], s["opinions"][0]


@pytest.mark.real_data
def test_chabsa_default_prompt(rendered, chabsa_dir):
    sentence, op = first_chabsa_opinion(chabsa_dir)
    r = rendered["chabsa"]
    assert r["prompt"] == (
        "以下のセンテンスにおける、ターゲットのセンチメントをpositiveかnegativeで答えてください。\n\n\n"
        f"センテンス: {sentence}\nターゲット: {op['target']}\n回答:"
    )
    assert r["choices"] == ["positive", "negative"]
    assert r["delimiter"] == " "  # lm-eval's default: the continuation is " positive"
    assert r["target"] == op["polarity"]


@pytest.mark.real_data
def test_chabsa_variants_keep_upstream_text(rendered, chabsa_dir):
    sentence, op = first_chabsa_opinion(chabsa_dir)
    # upstream's 1.0-0.1 has the stray "ターゲット]" (no opening bracket); we keep it
    assert rendered["chabsa-1.0-0.1"]["prompt"] == (
        "[センテンス]における、[ターゲット]のセンチメントをpositiveかnegativeで選んでください。\n\n\n"
        f"[センテンス]: {sentence}\nターゲット]: {op['target']}\n[答え]:"
    )
    r = rendered["chabsa-1.0-0.3"]
    assert r["prompt"].endswith(f"### 入力:\nセンテンス:{sentence}\nターゲット:{op['target']}\n\n### 応答:\n\n")
    assert r["delimiter"] == ""


@pytest.mark.real_data
def test_cma_basics_default_prompt(rendered, fin_harness):
    row = raw_json_first(fin_harness, "cma_basics")
    options = "".join(f"{'ABCD'[c['id']]}: {c['text']}\n" for c in row["choices"])
    context = row["context"] + "\n" if row["context"] else ""
    r = rendered["cma_basics"]
    assert r["prompt"] == (
        "以下の問題の適切な答えを選択肢から選んでアルファベットで答えなさい。\n\n\n"
        f"【問題】\n{row['question']}\n{context}\n【選択肢】\n{options}\n【答え】\n"
    )
    assert r["choices"] == ["A", "B", "C", "D"][: len(row["choices"])]
    assert r["target"] == "ABCD"[row["answer"]]
    assert r["delimiter"] == ""


@pytest.mark.real_data
def test_security_sales_1_default_prompt(rendered, fin_harness):
    row = raw_json_first(fin_harness, "security_sales_1")
    assert row["context"], "the first security_sales_1 item has a context line; the pin below relies on it"
    options = "".join(f"{'ABCD'[c['id']]}: {c['text']}\n" for c in row["choices"])
    assert rendered["security_sales_1"]["prompt"] == (
        "以下の問題の適切な答えを選択肢から選んでアルファベットで答えなさい。\n\n\n"
        f"【問題】\n{row['question']}\n{row['context']}\n\n【選択肢】\n{options}\n【答え】\n"
    )
    assert rendered["security_sales_1"]["choices"] == ["A", "B"]


@pytest.mark.real_data
def test_fp2_default_prompt_scores_option_numbers(rendered, fin_harness):
    row = raw_json_first(fin_harness, "fp2")
    r = rendered["fp2"]
    assert r["prompt"] == (
        "以下の問題の適切な答えを選択肢から選んで１～４の数字で答えなさい。\n\n\n"
        f"【問題】\n{row['question']}\n{row['context']}\n\n【答え】\n"
    )
    assert r["choices"] == [c["text"] for c in row["choices"]] == ["１", "２", "３", "４"]
    assert r["target"] == row["choices"][row["answer"]]["text"]
    # 1.0-0.1.2 answers with the letter of the option's position instead
    assert rendered["fp2-1.0-0.1.2"]["choices"] == ["A", "B", "C", "D"]
    assert rendered["fp2-1.0-0.1.2"]["prompt"].endswith(
        "[選択肢]:[" + ", ".join(f"{'ABCD'[c['id']]}:{c['text']}" for c in row["choices"]) + "]\n[答え]:"
    )


@pytest.mark.real_data
def test_cpa_audit_default_prompt_and_items(rendered, fin_harness):
    import pandas as pd

    df = pd.read_excel(fin_harness / "cpa" / "CPA_AUDIT.xlsx", sheet_name="data", index_col=0)
    first = df.iloc[0]
    statements = "\n".join(f"{m}: {first[m]}" for m in "アイウエオカ" if isinstance(first[m], str) and first[m])
    options = "".join(f"{'ABCDEF'[i]}: {first[i + 1]}\n" for i in range(6))
    r = rendered["cpa_audit"]
    assert r["prompt"] == (
        "以下の問題の答えとして適切な記号の組み合わせを選択肢から選んでアルファベットで答えなさい。\n\n\n"
        f"【問題】\n{first['question']}\n{statements}\n\n【選択肢】\n{options}\n【答え】\n"
    )
    assert r["choices"] == list("ABCDEF")
    assert r["target"] == "ABCDEF"[int(first["a_no"]) - 1]
    assert len(df) == 408 and r["n"] == 398  # empty rows and abnormal_flg == 1 dropped, as upstream


@pytest.mark.real_data
def test_versioned_mcq_prompts(rendered, fin_harness):
    row = raw_json_first(fin_harness, "cma_basics")
    bullets = "<NL>".join(f"- {c['text']}" for c in row["choices"])
    assert rendered["cma_basics-1.0-0.4"]["prompt"] == (
        "ユーザー: 与えられた選択肢の中から、最適な答えを選んでください。<NL>システム: 分かりました。<NL>"
        f"ユーザー: 質問：{row['question']}<NL>選択肢：<NL>{bullets}<NL>システム: "
    )
    assert rendered["cma_basics-1.0-0.4"]["choices"] == [c["text"] for c in row["choices"]]
    cpa = rendered["cpa_audit-1.0-0.6"]["prompt"]
    assert cpa.startswith("<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant.")
    assert "<</SYS>>\n\n\n与えられた答えの組み合わせの選択肢の中から、最適な選択肢を選んでください。\n\n質問：" in cpa
    assert cpa.endswith(" [/INST] ")


@pytest.mark.real_data
def test_item_counts_match_upstream(rendered):
    assert rendered["chabsa"]["n"] == 7723
    assert rendered["cma_basics"]["n"] == 38
    assert rendered["fp2"]["n"] == 475
    assert rendered["security_sales_1"]["n"] == 57


def test_clear_errors(tmp_path):
    with pytest.raises(EvalError, match="unknown task"):
        check_tasks(["chabsa", "fp3"])
    with pytest.raises(EvalError, match="unknown prompt version"):
        check_tasks(["fp2"], "9.9")
    with pytest.raises(EvalError, match=r"fp2/data.json"):
        check_data(["fp2"], tmp_path)
    with pytest.raises(EvalError, match="chABSA"):
        check_data(["chabsa"], tmp_path)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    with pytest.raises(EvalError, match="tokenizer is missing"):
        check_model_dir(tmp_path / "m")


def test_configs_eval_yaml_loads_and_flags_override():
    from kinyu.base.config import ConfigError, load_config

    from kinyu.evaluation.config import EvalConfig

    path = Path(__file__).resolve().parents[1] / "configs" / "eval.yaml"
    cfg = load_config(EvalConfig, path, {"limit": "5", "tasks": "fp2,chabsa"})
    assert cfg.task_data.limit == 5 and cfg.task_data.tasks == ["fp2", "chabsa"] and cfg.prompt_version == "default"
    with pytest.raises(ConfigError, match="unknown task"):
        load_config(EvalConfig, path, {"tasks": "fp2,fp9"})
