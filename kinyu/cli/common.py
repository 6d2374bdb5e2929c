"""The one way every ``kinyu`` command is built: a parser over a typed config, and one dispatch.

A command group (``kinyu corpus``, ``kinyu train``, ``kinyu eval``) is a list of :class:`Command`;
each command's parser has ``--config FILE`` plus one flag per config field
(:func:`kinyu.base.config.add_config_arguments`), so the CLI maps one to one onto the config.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kinyu.base.config import add_config_arguments, config_overrides, load_config
from kinyu.base.errors import UserError


INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)
USAGE_ERROR = 2  # argparse's code for a bad command line; a UserError exits with it too


@dataclass
class Command:
    """One sub-command: its name ('' for the group's default), a one-line help, parser and action;
    ``interrupted``: the one line Ctrl-C prints (what the user can do next)."""

    name: str
    help: str
    parser: Callable[[str], argparse.ArgumentParser]  # called with the command's prog, e.g. "kinyu corpus build"
    run: Callable[[argparse.Namespace], int | None]
    interrupted: str = "interrupted"


def did_you_mean(word: str, choices) -> str:
    """`` (did you mean X?)`` for the closest of ``choices``, or '' when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


class _StoreOnce(argparse._StoreAction):
    """argparse's ``store``, except that a flag given twice with different values is an error
    instead of the last one silently winning."""

    def __call__(self, parser, namespace, values, option_string=None):
        seen = getattr(parser, "_kinyu_seen", None)
        if seen is not None and option_string is not None:
            if self.dest in seen and seen[self.dest][1] != values:
                first_flag, first = seen[self.dest]
                parser.error(f"{option_string} given twice ({first_flag} {first}, then {option_string} {values}); give it once")
            seen[self.dest] = (option_string, values)
        super().__call__(parser, namespace, values, option_string)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that suggests the closest flag for an unknown one (``--worker`` ->
    "did you mean --workers?") and refuses a single-valued flag given twice with two values (list
    fields accumulate: see :func:`kinyu.base.config.add_config_arguments`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def parse_known_args(self, args=None, namespace=None):
        self._kinyu_seen: dict = {}
        try:
            return super().parse_known_args(args, namespace)
        finally:
            self._kinyu_seen = None

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            hints = "".join(did_you_mean(a.split("=", 1)[0], self._option_string_actions) for a in extras if a.startswith("-"))
            self.error(f"unrecognized arguments: {' '.join(extras)}{hints}")
        return parsed


def config_parser(
    prog: str,
    description: str,
    config_cls: type | None = None,
    *,
    usage: str | None = None,
    epilog: str | None = None,
    skip: tuple[str, ...] = (),
    default_config: Path | None = None,
) -> argparse.ArgumentParser:
    """A parser with ``--config FILE`` and a flag per field of ``config_cls`` (those in ``skip`` left out)."""
    parser = Parser(
        prog=prog,
        allow_abbrev=False,  # a prefix (--work) is a typo to point out, not a flag to guess
        description=textwrap.fill(description, 100),
        usage=usage,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps the examples' line breaks
    )
    if config_cls is not None:
        where = f" (default: the shipped configs/{default_config.name})" if default_config else ""
        parser.add_argument("--config", type=Path, default=None,
                            help=f"YAML config{where}; a shipped config also by name from any folder "
                                 "(configs/train/tiny_cpu.yaml); flags override its fields")
        add_config_arguments(parser, config_cls, skip=skip)
    return parser


def load_command_config(cls: type, args: argparse.Namespace, default_config: Path | None = None, shortcuts: dict[str, str] | None = None) -> Any:
    """The config of one invocation: YAML (``--config`` or the default file), then the flags.

    ``shortcuts`` maps short flags (``--workers``) onto their config fields (``executor.workers``).
    """
    overrides = config_overrides(args)
    for flag, dotted in (shortcuts or {}).items():
        value = getattr(args, flag, None)
        if value is not None:
            overrides[dotted] = value
    path = getattr(args, "config", None)
    if path is None:
        path = default_config
    return load_config(cls, path, overrides)


@dataclass
class Group:
    """A command group and its dispatch: the first argument names a command, else the default one runs.

    The dispatch is the one place a :class:`kinyu.base.errors.UserError` is caught: whichever
    command or stage raised it, it is one line, ``<prog>: error: <message>``, and exit 2; any other
    exception is a bug and keeps its traceback."""

    prog: str
    description: str
    commands: list[Command]

    def usage(self) -> str:
        rows = "\n".join(f"  {c.name or '(default)':<16} {c.help}" for c in self.commands)
        named = [c.name for c in self.commands if c.name]
        return (
            f"usage: {self.prog} {'{' + ','.join(named) + '}' if named else ''} [options]\n\n{self.description}\n\n"
            f"commands:\n{rows}\n\nRun `{self.prog} <command> --help` for the options of each."
        )

    def main(self, argv: list[str] | None = None) -> int:
        argv = list(sys.argv[1:] if argv is None else argv)
        by_name = {c.name: c for c in self.commands}
        first = argv[0] if argv else None
        if first and first in by_name:
            command, rest = by_name[first], argv[1:]
        elif "" in by_name and first != "help":  # the group's default command takes the flags
            command, rest = by_name[""], argv
        else:
            asked = first in ("-h", "--help", "help")
            if first and not asked:
                print(f"{self.prog}: unknown command {first!r}{did_you_mean(first, by_name)}\n", file=sys.stderr)
            print(self.usage(), file=sys.stdout if asked else sys.stderr)
            return 0 if asked else 2
        prog = f"{self.prog} {command.name}".strip()
        try:
            args = self._parser(command, prog).parse_args(rest)
            return int(command.run(args) or 0)
        except KeyboardInterrupt:
            # one line, not the tracebacks of every process the command started
            print(f"\n{prog}: {command.interrupted}", file=sys.stderr, flush=True)
            return INTERRUPTED
        except UserError as e:
            print(f"{prog}: error: {e}", file=sys.stderr)
            return USAGE_ERROR

    def _parser(self, command: Command, prog: str) -> argparse.ArgumentParser:
        parser = command.parser(prog)
        others = [c for c in self.commands if c.name and not command.name]
        if others:  # the default command's --help also names the group's other commands
            more = "\n".join(f"  {self.prog} {c.name:<10} {c.help}" for c in others)
            parser.epilog = (parser.epilog + "\n\n" if parser.epilog else "") + f"other commands (each with --help):\n{more}"
        return parser
