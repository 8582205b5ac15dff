"""A registry of named plugins (feed parsers, detectors, exporters, jobs, enrichers).

Framework-free so that domain plugins can register themselves. A plugin declares a name and
registers with a decorator; registering the same name twice is an error, as in NetBox's
``registry`` and Plaso's ``ParsersManager``.
"""

from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


class DuplicateRegistration(KeyError):
    pass


class UnknownPlugin(KeyError):
    pass


class Registry[T]:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator: ``@registry.register("name")``, or the plugin's ``NAME`` attribute."""

        def decorator(plugin: T) -> T:
            key = name or getattr(plugin, "NAME", None)
            if not key:
                raise ValueError(f"{self.kind} plugin {plugin!r} has no name")
            self.add(key, plugin)
            return plugin

        return decorator

    def add(self, name: str, plugin: T) -> None:
        if name in self._items:
            raise DuplicateRegistration(f"{self.kind} {name!r} is already registered")
        self._items[name] = plugin

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownPlugin(f"unknown {self.kind} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
