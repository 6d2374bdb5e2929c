"""Typed YAML configs: plain dataclasses with defaults, loaded strictly, overridden from the CLI.

Every stage has one config dataclass (litgpt style), each field declared with :func:`option`
(its default and the help text that ``--help`` and the shipped YAML show). ``load_config`` reads
a YAML file into it, applies the CLI overrides and checks every section (:func:`validate`), and
reports every problem at once in one :class:`ConfigError`, naming each field, so that a typo
never silently falls back to a default and a bad value fails before any work.
``add_config_arguments`` turns every leaf field into a CLI flag (``--optim.lr``), so the CLI maps
one to one onto the config. A section checks its own values in a ``problems()`` method that
returns messages (field names relative to the section); :func:`validate` walks the sections.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib.resources
import types
import typing
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar, Union, get_args, get_origin

import yaml

from kinyu.base.errors import UserError

T = TypeVar("T")


class ConfigError(UserError):
    """A config file, value or override that cannot be meant: every problem found, each naming its field."""

    def __init__(self, problems: str | list[str], heading: str = "invalid config"):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        message = self.problems[0] if len(self.problems) == 1 else f"{heading}:\n  - " + "\n  - ".join(self.problems)
        super().__init__(message)


def option(default: Any = dataclasses.MISSING, help: str = "", *, factory: Callable[[], Any] | None = None,
           flatten: bool = False, aliases: dict[str, str] | None = None, mapping_flag: bool = False) -> Any:
    """A config field with its help text (``--help`` and the comments of the shipped YAML show it).

    A list or dict default is copied per instance (``option([], "...")``); ``factory`` builds
    any other mutable default.

    For a section (a dataclass field): ``flatten`` puts its fields in the parent's mapping, as
    serde's ``flatten`` does (YAML keys, dotted overrides and flags name them without the section's
    name: ``EvalConfig``'s ``data_dir``, not ``task_data.data_dir``), and its ``factory`` gives their
    defaults (one section, a per-parent default: ``factory=lambda: TaskDataConfig(limit=20)``);
    ``aliases`` maps an older name of one of its fields onto it (``{"task_limit": "limit"}``): both
    spellings load, flags and YAML alike. ``mapping_flag``: the section also takes one flag with a YAML
    mapping of its fields, dotted keys allowed (``--train '{run.cpu_threads: 1}'``).
    """
    metadata: dict[str, Any] = {"help": help}
    if flatten:
        metadata["flatten"] = True
    if aliases:
        metadata["aliases"] = dict(aliases)
    if mapping_flag:
        metadata["mapping_flag"] = True
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def problems(cfg: Any, where: str = "") -> list[str]:
    """Every problem of ``cfg`` and its sections: each section's own ``problems()``, prefixed with its path."""
    found: list[str] = []
    own = getattr(cfg, "problems", None)
    if callable(own):
        prefix = f"{where}." if where else ""
        found += [p if not prefix or p.startswith(prefix) else prefix + p for p in own()]
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            found += problems(value, where if _flattened(f) else f"{where}.{f.name}" if where else f.name)
    return found


def validate(cfg: Any, where: str = "") -> Any:
    """Raise one ``ConfigError`` listing every problem of ``cfg`` (see :func:`problems`); return ``cfg``."""
    found = problems(cfg, where)
    if found:
        raise ConfigError(found)
    return cfg


SHIPPED_PACKAGE = "kinyu.configs"


def shipped_config(name: str) -> Path:
    """A default config shipped inside the package (``configs/`` of the repository), e.g.
    ``shipped_config("train/tiny_cpu.yaml")``; the same file from a checkout and from a wheel."""
    path = Path(str(importlib.resources.files(SHIPPED_PACKAGE).joinpath(name)))
    if not path.is_file():
        raise ConfigError(f"no shipped config {name!r}; shipped: {', '.join(shipped_configs())}")
    return path


def shipped_configs() -> list[str]:
    """The names of the shipped configs (``corpus.yaml``, ``train/tiny_cpu.yaml``, ...)."""
    root = Path(str(importlib.resources.files(SHIPPED_PACKAGE)))
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml"))


def resolve_config_path(path: str | Path, what: str = "config file") -> Path:
    """A config file argument as a file: the path itself when it exists, else the shipped file of that
    name (``configs/train/tiny_cpu.yaml``, ``train/tiny_cpu.yaml`` or ``configs/train/models/llama-7b.json``
    work from any folder, as they do in a checkout)."""
    path = Path(path)
    if path.is_file():
        return path
    name = path.as_posix()
    name = name[len("configs/"):] if name.startswith("configs/") else name
    shipped = Path(str(importlib.resources.files(SHIPPED_PACKAGE).joinpath(name)))
    if not path.is_absolute() and shipped.is_file():
        return shipped
    raise ConfigError(f"{what} not found: {path} (shipped configs, usable by name from any folder: {', '.join(shipped_configs())})")


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


class Repeated(list):
    """The values of a list or mapping flag given several times (``--input.exclude a --input.exclude b``):
    each is converted on its own and the results are joined (lists) or merged (mappings, later keys win)."""


def _repeated(value: Repeated, tp: Any, where: str) -> Any:
    """A list or mapping flag given several times: each value converted, then joined or merged (a section's
    mapping flag: its mappings merged, later keys winning, then read as the section)."""
    if _is_dataclass_type(tp):
        return _section({k: v for part in value for k, v in _mapping(part, dict[str, Any], where).items()}, tp, where)
    parts = [_coerce(v, tp, where) for v in value]
    if len(parts) == 1:
        return parts[0]
    if all(isinstance(x, dict) for x in parts):
        return {k: v for x in parts for k, v in x.items()}
    if all(isinstance(x, (list, tuple)) for x in parts):
        joined = [v for x in parts for v in x]
        return tuple(joined) if all(isinstance(x, tuple) for x in parts) else joined
    raise ConfigError(f"{where}: given {len(parts)} times ({', '.join(map(repr, value))}); give it once")


def _union(value: Any, tp: Any, where: str) -> Any:
    args = get_args(tp)
    if value is None and type(None) in args:
        return None
    if isinstance(value, str) and value.lower() in ("none", "null") and type(None) in args:
        return None
    errors = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return _coerce(value, arg, where)
        except ConfigError as e:
            errors.append(str(e))
    if len(errors) == 1:  # Optional[X]: X's own message says more
        raise ConfigError(errors[0])
    raise ConfigError(f"{where}: {value!r} does not fit {_type_name(tp)}")


def _literal(value: Any, tp: Any, where: str) -> Any:
    allowed = get_args(tp)
    if value not in allowed:
        raise ConfigError(f"{where}: {value!r} is not one of {list(allowed)}")
    return value


def _sequence(value: Any, tp: Any, where: str) -> list | tuple:
    (item_tp, *_) = get_args(tp) or (Any,)
    if isinstance(value, str):  # from the CLI: a YAML list, or comma separated
        value = yaml.safe_load(value) if value.lstrip().startswith("[") else [v for v in (s.strip() for s in value.split(",")) if v]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where}: expected a list, got {value!r}")
    items = [_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
    return items if get_origin(tp) is list else tuple(items)


def _mapping(value: Any, tp: Any, where: str) -> dict:
    if isinstance(value, str):  # from the CLI: --model.extra '{"rope_theta": 10000}'
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise ConfigError(f"{where}: not a YAML/JSON mapping: {e}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {value!r}")
    key_tp, val_tp = get_args(tp) or (Any, Any)
    return {_coerce(k, key_tp, where): _coerce(v, val_tp, f"{where}.{k}") for k, v in value.items()}


def _section(value: Any, tp: Any, where: str) -> Any:
    if isinstance(value, tp):
        return value
    if isinstance(value, str):  # from the CLI: --train '{run.cpu_threads: 1}'
        value = _mapping(value, dict[str, Any], where)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping for section {tp.__name__}, got {value!r}")
    return from_dict(tp, value, where)


def _to_bool(value: Any, tp: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"{where}: expected true/false, got {value!r}")


def _to_int(value: Any, tp: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.replace("_", ""))
        except ValueError:
            pass
    raise ConfigError(f"{where}: expected an integer, got {value!r}")


def _to_float(value: Any, tp: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ConfigError(f"{where}: expected a number, got {value!r}")


def _to_str(value: Any, tp: Any, where: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{where}: expected a string, got {value!r}")


# the converter of each kind of annotation: by its typing origin (list[str] -> list), else by the type
# itself; an annotation in neither table (and not a config section) takes the value as it is
_BY_ORIGIN: dict[Any, Callable[[Any, Any, str], Any]] = {
    Union: _union, types.UnionType: _union, Literal: _literal, list: _sequence, tuple: _sequence, dict: _mapping,
}
_BY_TYPE: dict[Any, Callable[[Any, Any, str], Any]] = {
    bool: _to_bool, int: _to_int, float: _to_float, str: _to_str, Path: lambda value, tp, where: Path(value),
}
# bare annotations: treated as dict[Any, Any] / list[Any] / tuple[Any, ...]
_BARE = {dict: dict[Any, Any], list: list[Any], tuple: tuple[Any, ...]}


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Convert ``value`` (from YAML or a CLI string) to the annotated type ``tp``; a value that does not
    fit raises a ``ConfigError`` naming ``where``."""
    tp = _BARE.get(tp, tp)
    if isinstance(value, Repeated):
        return _repeated(value, tp, where)
    if tp is Any:
        return value
    convert = _BY_ORIGIN.get(get_origin(tp)) or (_section if _is_dataclass_type(tp) else _BY_TYPE.get(tp))
    return convert(value, tp, where) if convert else value


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def _flattened(f: dataclasses.Field) -> bool:
    return bool((f.metadata or {}).get("flatten"))


def _keys(cls: type) -> dict[str, tuple[str, str | None]]:
    """The keys a mapping of ``cls`` may hold, each with the field it sets and, for a flattened section's
    key, that key inside the section: ``{"model": ("model", None), "data_dir": ("task_data", "data_dir"),
    "task_limit": ("task_data", "limit")}`` (an alias last: see :func:`option`)."""
    out: dict[str, tuple[str, str | None]] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if not _flattened(f):
            out[f.name] = (f.name, None)
            continue
        inner = _keys(_field_types(cls)[f.name])
        out.update({key: (f.name, key) for key in inner})
        out.update({old: (f.name, new) for old, new in f.metadata.get("aliases", {}).items() if new in inner})
    return out


def field_default(cls: type, name: str) -> Any:
    """The default value of field ``name`` of ``cls`` (a fresh one where a factory makes it)."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else None  # type: ignore[misc]


def _nest_dotted(cls: type, data: dict) -> dict:
    """``{"run.cpu_threads": 2}`` as ``{"run": {"cpu_threads": 2}}`` where ``run`` is a section of ``cls``
    (a YAML mapping may spell nested fields as the flags do)."""
    types_ = _field_types(cls)
    out: dict = {}
    for key, value in data.items():
        head, dot, rest = str(key).partition(".")
        if dot and head in types_ and _is_dataclass_type(types_[head]) and head not in data:
            out.setdefault(head, {})[rest] = value
        else:
            out[key] = value
    return out


def _build(cls: type[T], data: dict | None, where: str, found: list[str], base: Any = None) -> T:
    """``cls`` from a mapping, every problem appended to ``found``: a field whose value does not fit
    keeps its default (and a section its fields' defaults), so that the rest is still checked.
    ``base``: an instance whose values are the defaults (a flattened section's, from its parent's factory)."""
    data = _nest_dotted(cls, dict(data or {}))
    types_ = _field_types(cls)
    keys = _keys(cls)
    unknown = sorted(set(data) - set(keys))
    if unknown:
        section = f"section '{where}'" if where else f"{cls.__name__}"
        refused = getattr(cls, "__config_refused__", {})
        found += [f"{(where + '.') if where else ''}{name}: {refused[name]}" for name in unknown if name in refused]
        unknown = [name for name in unknown if name not in refused]
        if unknown:
            known = sorted(k for k, (name, inner) in keys.items() if inner is None or inner == k)
            found.append(f"unknown field(s) {unknown} in {section}; known fields: {known}")
    kwargs: dict[str, Any] = {}
    flat: dict[str, dict] = {}  # a flattened section -> its own keys
    spelled: dict[tuple, str] = {}
    for key, value in data.items():
        if key not in keys:
            continue
        name, inner = keys[key]
        if (name, inner) in spelled:
            found.append(f"{spelled[name, inner]} and {key} are one field; give it once")
            continue
        spelled[name, inner] = key
        if inner is not None:
            flat.setdefault(name, {})[inner] = value
            continue
        tp = types_[name]
        here = f"{where}.{name}" if where else name
        if _is_dataclass_type(tp) and isinstance(value, dict):
            # a partial section keeps the parent's defaults for the rest (the study's cpt: {tokens: ...}
            # keeps the study's lr, not PhaseConfig's own)
            kwargs[name] = _build(tp, value, here, found, base=getattr(base, name) if base is not None else field_default(cls, name))
            continue
        try:
            kwargs[name] = _coerce(value, tp, here)
        except ConfigError as e:
            found += e.problems
    for f in dataclasses.fields(cls):
        if _flattened(f) and f.init:
            default = getattr(base, f.name) if base is not None else f.default_factory()  # type: ignore[misc]
            kwargs[f.name] = _build(types_[f.name], flat.get(f.name, {}), where, found, base=default)
        elif base is not None and f.init and f.name not in kwargs:
            kwargs[f.name] = copy.deepcopy(getattr(base, f.name))
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field without a usable value
        raise ConfigError(found + [f"{where or cls.__name__}: {e}"]) from None


def from_dict(cls: type[T], data: dict | None, where: str = "") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise one ``ConfigError``
    that lists all of them."""
    found: list[str] = []
    cfg = _build(cls, data, where, found)
    if found:
        raise ConfigError(found)
    return cfg


def to_dict(cfg: Any) -> Any:
    """Plain, YAML/JSON-serialisable form of a config (Paths become strings)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cfg):
            value = to_dict(getattr(cfg, f.name))
            out.update(value if _flattened(f) else {f.name: value})
        return out
    if isinstance(cfg, (list, tuple)):
        return [to_dict(v) for v in cfg]
    if isinstance(cfg, dict):
        return {str(k): to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, Path):
        return str(cfg)
    return cfg


def _attribute(obj: Any, key: str) -> tuple[Any, str] | None:
    """The object and attribute that the mapping key ``key`` of ``obj`` sets (through flattened sections)."""
    keys = _keys(type(obj))
    while key in keys and keys[key][1] is not None:
        name, key = keys[key]
        obj = getattr(obj, name)
        keys = _keys(type(obj))
    return (obj, key) if key in keys else None


def set_field(cfg: Any, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` on a nested dataclass, coercing ``value`` to the field's type."""
    *parents, leaf = dotted.split(".")
    obj = cfg
    for i, part in enumerate(parents):
        found = _attribute(obj, part) if dataclasses.is_dataclass(obj) else None
        if found is None or not dataclasses.is_dataclass(getattr(*found)):
            raise ConfigError(f"unknown config section '{'.'.join(parents[: i + 1])}'")
        obj = getattr(*found)
    found = _attribute(obj, leaf)
    if found is None:
        known = sorted(k for k, (name, inner) in _keys(type(obj)).items() if inner is None or inner == k)
        raise ConfigError(f"unknown config field '{dotted}'; known here: {known}")
    obj, leaf = found
    setattr(obj, leaf, _coerce(value, _field_types(type(obj))[leaf], dotted))


def load_config(cls: type[T], path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> T:
    """Read YAML ``path`` (or the defaults) into ``cls``, apply dotted overrides and check every section.

    Every problem (unknown or mistyped fields in the file or the overrides, values a section's
    ``problems()`` rejects) is reported at once in one ``ConfigError``: a value that does not fit
    leaves its field at the default while the others are still checked.
    """
    data: dict = {}
    if path is not None:
        path = resolve_config_path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of fields")
    found: list[str] = []
    cfg = _build(cls, data, "", found)
    if path is not None:
        found = [f"{path}: {p}" for p in found]
    for key, value in (overrides or {}).items():
        try:
            set_field(cfg, key, value)
        except ConfigError as e:
            found += e.problems
    found += problems(cfg)
    if found:
        raise ConfigError(found)
    return cfg


def config_subset(cls: type, name: str, defaults: Any, leave_out: tuple[str, ...] = (), why: str = "") -> type:
    """A config section with the fields of ``cls`` (its sections as sections of their own) except the dotted
    names in ``leave_out``, the values of the instance ``defaults`` as its defaults: the part of a stage's
    config that a workflow lets its user set (``kinyu study cpt``'s ``train``). A left-out field given
    anyway is refused with ``why``; checks that need the whole config run once it is whole again."""
    types_ = _field_types(cls)
    fields = []
    for f in dataclasses.fields(cls):
        if f.name in leave_out or not f.init:
            continue
        help_ = (f.metadata or {}).get("help", "")
        value = getattr(defaults, f.name)
        if _is_dataclass_type(types_[f.name]):
            inner = tuple(n.split(".", 1)[1] for n in leave_out if n.startswith(f.name + "."))
            sub = config_subset(types_[f.name], f"{name}_{f.name}", value, inner, why)
            fields.append((f.name, sub, option(factory=sub, help=help_)))
        elif isinstance(value, (list, dict)):
            fields.append((f.name, types_[f.name], option(value, help_)))
        else:
            fields.append((f.name, types_[f.name], option(factory=lambda v=value: copy.deepcopy(v), help=help_)
                           if not isinstance(value, (str, int, float, bool, type(None), Path)) else option(value, help_)))
    subset = dataclasses.make_dataclass(name, fields)
    subset.__doc__ = f"{cls.__name__} without {', '.join(leave_out)}" if leave_out else f"{cls.__name__}"
    subset.__config_refused__ = {n: why for n in leave_out if "." not in n}
    return subset


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), allow_unicode=True, sort_keys=False)


_NO_DEFAULT = object()


def _leaf_fields(cls: type, prefix: str = "", defaults: Any = None):
    """``(flag name, type, field, default, older names)`` per leaf field of ``cls``: a flattened section's
    fields without its name, their defaults from the parent's factory (``defaults``: an instance whose
    values are the defaults; else each field's own); a section with a mapping flag also as itself."""
    for f in dataclasses.fields(cls):
        tp = _field_types(cls)[f.name]
        default = getattr(defaults, f.name) if defaults is not None else _NO_DEFAULT
        if _flattened(f):
            inner = default if defaults is not None else f.default_factory()  # type: ignore[misc]
            aliases = f.metadata.get("aliases", {})
            for name, leaf_tp, leaf, leaf_default, older in _leaf_fields(tp, prefix, inner):
                yield name, leaf_tp, leaf, leaf_default, older + [prefix + old for old, new in aliases.items() if prefix + new == name]
            continue
        name = f"{prefix}{f.name}"
        if _is_dataclass_type(tp):
            if (f.metadata or {}).get("mapping_flag"):
                yield name, tp, f, _NO_DEFAULT, []
            # the help shows the parent's defaults for a section's fields (its factory's, not the class's)
            yield from _leaf_fields(tp, name + ".", default if defaults is not None else field_default(cls, f.name))
        else:
            yield name, tp, f, default, []


def _default_repr(f: dataclasses.Field, default: Any = _NO_DEFAULT) -> str:
    if default is not _NO_DEFAULT:
        return repr(default)
    if f.default is not dataclasses.MISSING:
        return repr(f.default)
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return repr(f.default_factory())  # type: ignore[misc]
    return "required"


OVERRIDE_PREFIX = "cfg:"


def _accumulates(tp: Any) -> bool:
    """List and mapping fields take a repeated flag as more values (scalars refuse a second value)."""
    origin = get_origin(tp) or tp
    if origin in (Union, types.UnionType):
        return any(_accumulates(a) for a in get_args(tp) if a is not type(None))
    return origin in (list, tuple, dict)


class _AppendRaw(argparse.Action):
    """Collect every occurrence of a list/mapping flag, as given, into a :class:`Repeated`."""

    def __call__(self, parser, namespace, values, option_string=None):
        current = getattr(namespace, self.dest, None)
        setattr(namespace, self.dest, Repeated([*(current if isinstance(current, Repeated) else []), values]))


def add_config_arguments(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = (), defaults: Any = None,
                         title: str | None = None) -> None:
    """Add one ``--dotted.field`` flag per leaf field of ``cls`` (help shows type and default).

    Values given on the command line are collected by ``config_overrides``; flags not given
    leave the YAML (or the default) in force. A list or mapping flag given several times adds
    its values (``--input.exclude '*.bak' --input.exclude 'drafts/*'``). A field's older names
    (a flattened section's ``aliases``) are flags too. ``defaults``: an instance of ``cls`` whose
    values the help shows as the defaults.
    """
    group = parser.add_argument_group(title or f"config fields ({cls.__name__}); each overrides the YAML value")
    for name, tp, f, default, older in _leaf_fields(cls, defaults=defaults):
        if name in skip:
            continue
        doc = f.metadata.get("help", "") if f.metadata else ""
        # --data_dir and --data-dir both work: field names use underscores, flags usually dashes
        flags = [spelling for n in [name, *older] for spelling in dict.fromkeys([f"--{n}", f"--{n.replace('_', '-')}"])]
        section = _is_dataclass_type(tp)
        repeat = _accumulates(tp) or section
        group.add_argument(
            *flags,
            dest=OVERRIDE_PREFIX + name,
            default=argparse.SUPPRESS,
            **({"action": _AppendRaw} if repeat else {}),
            metavar="YAML" if section else _type_name(tp).upper() if not get_origin(tp) else "VALUE",
            help=(f"{doc}" + (" (a YAML mapping of its fields; dotted keys allowed)" if section else f" (default: {_default_repr(f, default)})")
                  + ("; repeat to add more" if repeat else "")).strip().replace("%", "%%"),  # argparse formats help with %
        )


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The dotted overrides that ``add_config_arguments`` flags collected."""
    return {k[len(OVERRIDE_PREFIX):]: v for k, v in vars(args).items() if k.startswith(OVERRIDE_PREFIX)}


def commented_yaml(cfg: Any, indent: int = 0) -> str:
    """The config as YAML with each field's help text as a comment (for the shipped configs)."""
    lines = []
    pad = "  " * indent
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        doc = (f.metadata or {}).get("help", "")
        if dataclasses.is_dataclass(value) and _flattened(f):
            lines.append(commented_yaml(value, indent))
            continue
        if dataclasses.is_dataclass(value):
            lines.append(f"{pad}{f.name}:" + (f"  # {doc}" if doc else ""))
            lines.append(commented_yaml(value, indent + 1))
            continue
        dumped = yaml.safe_dump({f.name: to_dict(value)}, allow_unicode=True, default_flow_style=True, width=10_000).strip()
        if dumped.startswith("{") and dumped.endswith("}"):
            dumped = dumped[1:-1]
        lines.append(f"{pad}{dumped}" + (f"  # {doc}" if doc else ""))
    return "\n".join(lines)
