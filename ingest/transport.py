"""Typed ingest values to plain JSON data and back, checked field by field against their types.

The process that parses a hostile file sends its result back as JSON, never as a pickle: if a
parser bug ever let a file take over that process, what reaches the caller is still only data,
rebuilt into the declared dataclasses (``Report``, ``Chunk`` ...) and refused if it does not fit.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any

__all__ = ["TransportError", "dumps", "from_data", "loads", "to_data"]


class TransportError(ValueError):
    """Data that does not fit the type it should be rebuilt as."""


def to_data(value: Any) -> Any:
    """Dataclasses as dicts of their fields, tuples and lists as lists, everything else unchanged."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_data(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {key: to_data(item) for key, item in value.items()}
    return value


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def from_data(kind: Any, data: Any, where: str = "value") -> Any:
    """``data`` (as made by :func:`to_data`) rebuilt as ``kind``.

    Raises:
        TransportError: ``data`` does not have the shape and types ``kind`` declares.
    """
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors = []
        for option in (arg for arg in args if arg is not type(None)):
            try:
                return from_data(option, data, where)
            except TransportError as exc:
                errors.append(str(exc))
        raise TransportError("; ".join(errors) or f"{where}: None where a value is needed")
    if origin is tuple:
        if not isinstance(data, list):
            raise TransportError(f"{where}: expected a list, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(args[0], item, f"{where}[{i}]") for i, item in enumerate(data))
        if len(args) != len(data):
            raise TransportError(f"{where}: expected {len(args)} items, got {len(data)}")
        return tuple(from_data(arg, item, f"{where}[{i}]") for i, (arg, item) in enumerate(zip(args, data, strict=True)))
    if origin is list:
        if not isinstance(data, list):
            raise TransportError(f"{where}: expected a list, got {type(data).__name__}")
        return [from_data(args[0] if args else Any, item, f"{where}[{i}]") for i, item in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise TransportError(f"{where}: expected an object, got {type(data).__name__}")
        value_kind = args[1] if args else Any
        return {key: from_data(value_kind, item, f"{where}.{key}") for key, item in data.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise TransportError(f"{where}: expected an object for {kind.__name__}, got {type(data).__name__}")
        fields = {field.name: field for field in dataclasses.fields(kind) if field.init}
        if unknown := set(data) - set(fields):
            raise TransportError(f"{where}: {kind.__name__} has no field {sorted(unknown)[0]!r}")
        hints = _hints(kind)
        return kind(**{name: from_data(hints[name], item, f"{where}.{name}") for name, item in data.items()})
    if kind is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if kind is int and isinstance(data, bool):
        raise TransportError(f"{where}: expected int, got bool")
    if isinstance(kind, type) and isinstance(data, kind):
        return data
    raise TransportError(f"{where}: expected {getattr(kind, '__name__', kind)}, got {type(data).__name__}")


def dumps(value: Any) -> bytes:
    """``value`` as JSON (via :func:`to_data`); ASCII, so even a lone surrogate travels intact."""
    return json.dumps(to_data(value), separators=(",", ":")).encode("ascii")


def loads(kind: Any, payload: bytes) -> Any:
    """JSON ``payload`` rebuilt as ``kind``.

    Raises:
        TransportError: not JSON, or not shaped like ``kind``.
    """
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise TransportError(f"not JSON ({type(exc).__name__})") from None
    return from_data(kind, data)
