"""``kinyu demo``: the whole chain on the embedded sample, on CPU, in a few minutes.

corpus build -> stats + HTML report -> train a tiny Llama from config on the shards ->
evaluate every checkpoint (bits per character on the financial validation split and on
general-domain text; the five tasks too with --data-dir) -> print where each output is.
"""

from __future__ import annotations

from kinyu.cli.common import Command, Group, config_parser, load_command_config
from kinyu.workflows.demo import DemoConfig, run_demo


DESCRIPTION = (
    "The whole chain on the embedded sample, on CPU, in a few minutes: corpus build -> stats + HTML report -> "
    "a tiny Llama trained from config on the shards -> every checkpoint evaluated (bits per character on the "
    "financial validation split and on general-domain text; the five tasks too with --data-dir)."
)


def demo_parser(prog: str):
    return config_parser(prog, DESCRIPTION, DemoConfig)


def run(args) -> int:
    run_demo(load_command_config(DemoConfig, args))
    return 0


GROUP = Group("kinyu demo", DESCRIPTION, [Command("", "the whole chain on the embedded sample", demo_parser, run)])
main = GROUP.main
