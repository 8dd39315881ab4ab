"""What the sentinel puts in place of a flagged object, and the record of who used it.

- Containers (dict, OrderedDict, defaultdict, Counter, list, deque, set) are replaced by
  subclasses of their type that remember who wrote each key or element; a read of a
  value (item access, ``get``, membership, iteration, ``pop``) by another user is a
  leak. Nested containers found inside at wrap time, ``setdefault`` defaults and
  ``defaultdict`` values are wrapped too, under the same name. Equality and
  ``isinstance`` are those of the original type; copying and pickling give an object of
  the original type with the same contents.
- A ``functools`` cache is replaced by a callable that notes who computed each key; a
  hit computed by another user is a leak.
- An instance gets a subclass of its class (``__class__`` assignment: the object and
  every reference to it stay the same) whose methods note who calls them; a second user
  is a leak. A singleton getter is replaced by a function that tracks what it returns.
- A ``threading.local`` (or an instance of a subclass) is replaced by a new instance of
  a subclass of its class that notes, per thread, who wrote each attribute; a read of
  it under another user in the same thread (asyncio tasks share their thread) is a
  leak. Threads keep their own storage: a value another thread wrote is never seen.
"""

from __future__ import annotations

import abc
import copyreg
import functools
import inspect
import os
import re
import sys
import threading
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType, MethodType
from typing import Any, cast

from netra_ws_lint.sentinel.identity import current_user

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NESTED_DEPTH = 4  # containers inside containers are wrapped this deep at wrap time

Use = tuple[str, str]  # (user, "file:line")


def location() -> str:
    """``file:line`` of the first frame outside the sentinel (cheap: called on each write)."""
    f: FrameType | None = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_HERE):
        f = f.f_back
    return "?" if f is None else f"{f.f_code.co_filename}:{f.f_lineno}"


def shown(where: str) -> str:
    """A location as the report shows it: relative to the working directory."""
    path, sep, line = where.rpartition(":")
    if not sep or not path:
        return where
    try:
        return f"{os.path.relpath(path)}:{line}"
    except ValueError:  # another drive
        return where


@dataclass(frozen=True)
class FindingRef:
    """The static finding that made the sentinel watch an object."""

    code: str
    path: str
    line: int
    col: int
    message: str

    @property
    def where(self) -> str:
        return f"{os.path.relpath(self.path)}:{self.line}:{self.col + 1}"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "location": self.where, "message": self.message}


@dataclass
class Target:
    """One watched object: its qualified name, kind and the findings that predict it."""

    name: str
    kind: str  # container, cache, instance
    findings: list[FindingRef] = field(default_factory=list)
    exercised: bool = False  # used by some user
    # why an object it stands for was left as it was ("not watched, because ...")
    not_watched: str | None = None

    def add(self, finding: FindingRef | None) -> None:
        if finding is not None and finding not in self.findings:
            self.findings.append(finding)


@dataclass(frozen=True)
class Leak:
    target: Target
    writer: Use
    reader: Use
    what: str  # "value", "cached result", "instance"

    def as_json(self) -> dict[str, Any]:
        return {
            "object": self.target.name,
            "kind": self.target.kind,
            "what": self.what,
            "writer": {"user": self.writer[0], "location": shown(self.writer[1])},
            "reader": {"user": self.reader[0], "location": shown(self.reader[1])},
            "predicted": [f.as_json() for f in self.target.findings] or "not predicted",
        }


class Recorder:
    """Every leak seen in the session, each once: a value written at one place under
    one user, then read under another (the first read is shown)."""

    def __init__(self) -> None:
        self.leaks: dict[tuple[str, str], Leak] = {}

    def leak(self, target: Target, writer: Use, reader: Use, what: str) -> None:
        key = (target.name, writer[1])
        if key not in self.leaks:
            self.leaks[key] = Leak(target, writer, reader, what)


RECORDER = Recorder()


def _check(target: Target, writers: Iterable[Use | None]) -> None:
    """A read by the current user of values written by ``writers``."""
    user = current_user()
    if user is None:
        return
    target.exercised = True
    for w in writers:
        if w is not None and w[0] != user:
            RECORDER.leak(target, w, (user, location()), "value")
            return


def _writer(target: Target) -> Use | None:
    user = current_user()
    if user is None:
        return None
    target.exercised = True
    return (user, location())


# ------------------------------------------------------------------ containers


# what a wrapper built by the container's own code (``deque + deque``...) belongs to
DETACHED = Target("(copy of a watched container)", "container")


class _Tracked:
    """State shared by the container wrappers (set by :func:`wrap_container`)."""

    _nws_target: Target

    def _nws_adopt(self, value: Any, key: object) -> Any:
        return adopt(value, self._nws_target, key)

    def _nws_plain(self) -> Any:
        raise NotImplementedError

    def _nws_read_all(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return repr(self._nws_plain())

    def copy(self) -> Any:
        self._nws_read_all()
        return self._nws_plain()

    def __copy__(self) -> Any:
        return self.copy()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return _plain_reduce(self._nws_plain())


class _MappingMixin(_Tracked):
    _nws_w: dict[Any, Use]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._nws_target = DETACHED
        self._nws_w = {}
        super().__init__(*args, **kwargs)

    def _nws_write(self, key: Any) -> None:
        w = _writer(self._nws_target)
        if w is None:
            self._nws_w.pop(key, None)
        else:
            self._nws_w[key] = w

    def _nws_read(self, key: Any) -> None:
        _check(self._nws_target, (self._nws_w.get(key),))

    def _nws_read_all(self) -> None:
        _check(self._nws_target, list(self._nws_w.values()))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)  # type: ignore[misc]
        self._nws_write(key)

    def __getitem__(self, key: Any) -> Any:
        value = super().__getitem__(key)  # type: ignore[misc]
        self._nws_read(key)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        self._nws_read(key)
        return super().get(key, default)  # type: ignore[misc]

    def __contains__(self, key: object) -> bool:
        self._nws_read(key)
        return super().__contains__(key)  # type: ignore[misc,no-any-return]

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if super().__contains__(key):  # type: ignore[misc]
            self._nws_read(key)
            return super().__getitem__(key)  # type: ignore[misc]
        value = self._nws_adopt(default, key)
        super().__setitem__(key, value)  # type: ignore[misc]
        self._nws_write(key)
        return value

    def pop(self, key: Any, *default: Any) -> Any:
        self._nws_read(key)
        self._nws_w.pop(key, None)
        return super().pop(key, *default)  # type: ignore[misc]

    def popitem(self, *args: Any, **kwargs: Any) -> Any:
        item = super().popitem(*args, **kwargs)  # type: ignore[misc]
        _check(self._nws_target, (self._nws_w.pop(item[0], None),))
        return item

    def _nws_sync(self, before: dict[Any, Any]) -> None:
        """After a bulk update: the keys it added or rebound are the current user's."""
        for key, value in self._nws_pairs():
            if key not in before or before[key] is not value:
                self._nws_write(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        before = dict(self._nws_pairs())
        super().update(*args, **kwargs)  # type: ignore[misc]
        self._nws_sync(before)

    def __ior__(self, other: Any) -> Any:
        before = dict(self._nws_pairs())
        super().__ior__(other)  # type: ignore[misc]
        self._nws_sync(before)
        return self

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)  # type: ignore[misc]
        self._nws_w.pop(key, None)

    def clear(self) -> None:
        super().clear()  # type: ignore[misc]
        self._nws_w.clear()

    def __iter__(self) -> Any:
        self._nws_read_all()
        return super().__iter__()  # type: ignore[misc]

    def keys(self) -> Any:
        self._nws_read_all()
        return super().keys()  # type: ignore[misc]

    def values(self) -> Any:
        self._nws_read_all()
        return super().values()  # type: ignore[misc]

    def items(self) -> Any:
        self._nws_read_all()
        return super().items()  # type: ignore[misc]

    def _nws_pairs(self) -> list[tuple[Any, Any]]:
        d = cast("dict[Any, Any]", self)
        return list(zip(dict.keys(d), dict.values(d)))

    def _nws_plain(self) -> Any:
        return dict(self._nws_pairs())


class TrackedDict(_MappingMixin, dict):  # type: ignore[type-arg]
    pass


class TrackedOrderedDict(_MappingMixin, OrderedDict):  # type: ignore[type-arg]
    def _nws_pairs(self) -> list[tuple[Any, Any]]:
        return list(OrderedDict.items(self))

    def _nws_plain(self) -> Any:
        return OrderedDict(self._nws_pairs())


class TrackedCounter(_MappingMixin, Counter):  # type: ignore[type-arg]
    def _nws_plain(self) -> Any:
        return Counter(dict(self._nws_pairs()))


class TrackedDefaultDict(_MappingMixin, defaultdict):  # type: ignore[type-arg]
    def __missing__(self, key: Any) -> Any:
        if self.default_factory is None:
            raise KeyError(key)
        value = self._nws_adopt(self.default_factory(), key)
        dict.__setitem__(self, key, value)
        self._nws_write(key)
        return value

    def _nws_plain(self) -> Any:
        return defaultdict(self.default_factory, self._nws_pairs())


class _SequenceMixin(_Tracked):
    """list and deque: one writer per position, kept in a parallel sequence."""

    _nws_w: Any  # list or deque of Use | None, the same length as the container

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._nws_target = DETACHED
        super().__init__(*args, **kwargs)
        self._nws_w = self._nws_writers([None] * len(self))  # type: ignore[arg-type]

    def _nws_writers(self, items: list[Use | None]) -> Any:
        return items

    def __imul__(self, n: Any) -> Any:
        super().__imul__(n)  # type: ignore[misc]
        self._nws_w *= n
        return self

    def _nws_new(self) -> Use | None:
        return _writer(self._nws_target)

    def _nws_read_at(self, index: Any) -> None:
        try:
            w = self._nws_w[index]
        except (IndexError, TypeError):
            return
        _check(self._nws_target, w if isinstance(index, slice) else (w,))

    def _nws_read_all(self) -> None:
        _check(self._nws_target, list(self._nws_w))

    def append(self, value: Any) -> None:
        super().append(value)  # type: ignore[misc]
        self._nws_w.append(self._nws_new())

    def extend(self, values: Iterable[Any]) -> None:
        values = list(values)
        super().extend(values)  # type: ignore[misc]
        self._nws_w.extend([self._nws_new()] * len(values))

    def __iadd__(self, values: Iterable[Any]) -> Any:
        self.extend(values)
        return self

    def insert(self, index: int, value: Any) -> None:
        super().insert(index, value)  # type: ignore[misc]
        self._nws_w.insert(index, self._nws_new())

    def __getitem__(self, index: Any) -> Any:
        value = super().__getitem__(index)  # type: ignore[misc]
        self._nws_read_at(index)
        return value

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = list(value)
            super().__setitem__(index, value)  # type: ignore[misc]
            self._nws_w[index] = [self._nws_new()] * len(value)
        else:
            super().__setitem__(index, value)  # type: ignore[misc]
            self._nws_w[index] = self._nws_new()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)  # type: ignore[misc]
        del self._nws_w[index]

    def pop(self, *index: Any) -> Any:
        value = super().pop(*index)  # type: ignore[misc]
        _check(self._nws_target, (self._nws_w.pop(*index),))
        return value

    def remove(self, value: Any) -> None:
        i = self.index(value)
        del self[i]

    def index(self, value: Any, *args: Any) -> int:
        i: int = super().index(value, *args)  # type: ignore[misc]
        self._nws_read_at(i)
        return i

    def count(self, value: Any) -> int:
        self._nws_read_all()
        return super().count(value)  # type: ignore[misc,no-any-return]

    def __contains__(self, value: object) -> bool:
        for i, item in enumerate(self._nws_iter()):
            if item is value or item == value:
                self._nws_read_at(i)
                return True
        return False

    def clear(self) -> None:
        super().clear()  # type: ignore[misc]
        self._nws_w.clear()

    def reverse(self) -> None:
        super().reverse()  # type: ignore[misc]
        self._nws_w.reverse()

    def __iter__(self) -> Any:
        self._nws_read_all()
        return self._nws_iter()

    def __reversed__(self) -> Any:
        self._nws_read_all()
        return super().__reversed__()  # type: ignore[misc]

    def _nws_iter(self) -> Any:
        raise NotImplementedError


class TrackedList(_SequenceMixin, list):  # type: ignore[type-arg,misc]
    def _nws_iter(self) -> Any:
        return list.__iter__(self)

    def _nws_plain(self) -> Any:
        return list(list.__iter__(self))

    def sort(self, *, key: Callable[[Any], Any] | None = None, reverse: bool = False) -> None:
        pairs = list(zip(list.__iter__(self), self._nws_w))
        pairs.sort(key=(lambda p: key(p[0])) if key else (lambda p: p[0]), reverse=reverse)
        list.__setitem__(self, slice(None), [p[0] for p in pairs])
        self._nws_w[:] = [p[1] for p in pairs]

    def __add__(self, other: Any) -> Any:
        self._nws_read_all()
        return self._nws_plain() + other


class TrackedDeque(_SequenceMixin, deque):  # type: ignore[type-arg]
    def _nws_writers(self, items: list[Use | None]) -> Any:
        return deque(items, self.maxlen)

    def _nws_iter(self) -> Any:
        return deque.__iter__(self)

    def _nws_plain(self) -> Any:
        return deque(deque.__iter__(self), self.maxlen)

    def appendleft(self, value: Any) -> None:
        super().appendleft(value)
        self._nws_w.appendleft(self._nws_new())

    def extendleft(self, values: Iterable[Any]) -> None:
        for value in values:
            self.appendleft(value)

    def popleft(self) -> Any:
        value = super().popleft()
        _check(self._nws_target, (self._nws_w.popleft(),))
        return value

    def rotate(self, n: int = 1) -> None:
        super().rotate(n)
        self._nws_w.rotate(n)


class TrackedSet(_Tracked, set):  # type: ignore[type-arg]
    _nws_w: dict[Any, Use]

    def __init__(self, *args: Any) -> None:
        self._nws_target = DETACHED
        self._nws_w = {}
        super().__init__(*args)

    def _nws_sync(self, before: set[Any]) -> None:
        """After an in-place operator: the elements it added are the current user's."""
        for gone in [k for k in self._nws_w if not set.__contains__(self, k)]:
            del self._nws_w[gone]
        w = _writer(self._nws_target)
        for item in set.__iter__(self):
            if item not in before:
                if w is None:
                    self._nws_w.pop(item, None)
                else:
                    self._nws_w[item] = w

    def _nws_read_all(self) -> None:
        _check(self._nws_target, list(self._nws_w.values()))

    def add(self, item: Any) -> None:
        super().add(item)
        w = _writer(self._nws_target)
        if w is None:
            self._nws_w.pop(item, None)
        else:
            self._nws_w[item] = w

    def update(self, *others: Iterable[Any]) -> None:
        for other in others:
            for item in other:
                self.add(item)

    def __ior__(self, other: Any) -> Any:  # type: ignore[misc]
        self.update(other)
        return self

    def __contains__(self, item: object) -> bool:
        _check(self._nws_target, (self._nws_w.get(item),))
        return super().__contains__(item)

    def discard(self, item: Any) -> None:
        super().discard(item)
        self._nws_w.pop(item, None)

    def remove(self, item: Any) -> None:
        super().remove(item)
        self._nws_w.pop(item, None)

    def pop(self) -> Any:
        item = super().pop()
        _check(self._nws_target, (self._nws_w.pop(item, None),))
        return item

    def clear(self) -> None:
        super().clear()
        self._nws_w.clear()

    def __iter__(self) -> Any:
        self._nws_read_all()
        return super().__iter__()

    def _nws_plain(self) -> Any:
        return set(set.__iter__(self))


def _plain_reduce(plain: Any) -> tuple[Any, tuple[Any, ...]]:
    """How to rebuild ``plain`` (a container of an original type): with its own type."""
    if isinstance(plain, defaultdict):
        return (defaultdict, (plain.default_factory, list(dict.items(plain))))
    if isinstance(plain, deque):
        return (deque, (list(plain), plain.maxlen))
    if isinstance(plain, dict):
        return (
            type(plain),
            (dict(plain),) if isinstance(plain, Counter) else (list(plain.items()),),
        )
    return (type(plain), (list(plain),))


def _reads_all(name: str) -> Callable[..., Any]:
    def method(self: TrackedSet, *args: Any) -> Any:
        self._nws_read_all()
        return getattr(set, name)(self, *args)

    method.__name__ = name
    return method


def _updates(name: str) -> Callable[..., Any]:
    def method(self: TrackedSet, *args: Any) -> Any:
        before = set(set.__iter__(self))
        result = getattr(set, name)(self, *args)
        self._nws_sync(before)
        return self if name.startswith("__i") else result

    method.__name__ = name
    return method


for _name in [
    "union",
    "intersection",
    "difference",
    "symmetric_difference",
    "issubset",
    "issuperset",
    "isdisjoint",
    "__or__",
    "__and__",
    "__sub__",
    "__xor__",
    "__ror__",
    "__rand__",
    "__rsub__",
    "__rxor__",
]:
    setattr(TrackedSet, _name, _reads_all(_name))
for _name in [
    "intersection_update",
    "difference_update",
    "symmetric_difference_update",
    "__iand__",
    "__isub__",
    "__ixor__",
]:
    setattr(TrackedSet, _name, _updates(_name))

_WRAPPERS: dict[type, type] = {
    dict: TrackedDict,
    OrderedDict: TrackedOrderedDict,
    defaultdict: TrackedDefaultDict,
    Counter: TrackedCounter,
    list: TrackedList,
    deque: TrackedDeque,
    set: TrackedSet,
}
CONTAINER_TYPES = tuple(_WRAPPERS)
for _base, _wrapper in _WRAPPERS.items():  # reprs and messages name the original type
    _wrapper.__name__ = _wrapper.__qualname__ = _base.__name__


def wrap_container(
    obj: Any, target: Target, depth: int = 0, replaced: dict[int, tuple[Any, Any]] | None = None
) -> Any:
    """A tracked copy of ``obj`` (one of :data:`CONTAINER_TYPES`, exactly), or ``obj``.

    Containers inside it are wrapped too (``replaced`` collects ``id(old) -> (old,
    new)`` for every container replaced, so that other references can be swapped)."""
    cls = _WRAPPERS.get(type(obj))
    if cls is None:
        return obj
    nested = depth < _NESTED_DEPTH

    def inner(value: Any) -> Any:
        return wrap_container(value, target, depth + 1, replaced) if nested else value

    new: Any
    if isinstance(obj, defaultdict):
        new = cls(obj.default_factory, [(k, inner(v)) for k, v in dict.items(obj)])
    elif isinstance(obj, OrderedDict):
        new = cls([(k, inner(v)) for k, v in OrderedDict.items(obj)])
    elif isinstance(obj, dict):
        new = cls({k: inner(v) for k, v in dict.items(obj)})
    elif isinstance(obj, deque):
        new = cls([inner(v) for v in obj], obj.maxlen)
    elif isinstance(obj, list):
        new = cls([inner(v) for v in obj])
    else:
        new = cls(obj)
    new._nws_target = target
    if replaced is not None:
        replaced[id(obj)] = (obj, new)
    return new


def adopt(value: Any, target: Target, key: object) -> Any:
    """A fresh container stored into a tracked one is tracked too."""
    if type(value) in _WRAPPERS:
        return wrap_container(value, target, _NESTED_DEPTH)
    return value


# ------------------------------------------------------------------ caches


class CacheProxy:
    """Stands for a ``functools.lru_cache``/``cache`` wrapper; notes who computed what."""

    def __init__(self, cached: Any, target: Target) -> None:
        functools.update_wrapper(self, cached)
        self._nws_cached = cached
        self._nws_target = target
        self._nws_computed: dict[Any, Use | None] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        cached = self._nws_cached
        hits = cached.cache_info().hits
        result = cached(*args, **kwargs)
        key = (args, tuple(sorted(kwargs.items())))
        user = current_user()
        if user is None:
            if cached.cache_info().hits == hits:
                self._nws_computed.pop(key, None)
            return result
        self._nws_target.exercised = True
        here = (user, location())
        if cached.cache_info().hits == hits:  # computed now
            self._nws_computed[key] = here
        else:
            computed = self._nws_computed.get(key)
            if computed is not None and computed[0] != user:
                RECORDER.leak(self._nws_target, computed, here, "cached result")
        return result

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else MethodType(self, obj)

    def cache_info(self) -> Any:
        return self._nws_cached.cache_info()

    def cache_clear(self) -> None:
        self._nws_cached.cache_clear()
        self._nws_computed.clear()


def is_functools_cache(obj: Any) -> bool:
    return callable(obj) and hasattr(obj, "cache_info") and hasattr(obj, "cache_clear")


# ------------------------------------------------------------------ instances


@dataclass
class _InstanceUse:
    target: Target
    first: Use | None = None
    obj: Any = None
    leaked: bool = False  # one instance, two users: one leak however often it recurs


_INSTANCES: dict[int, _InstanceUse] = {}
_TRACKING_CLASSES: dict[type, type] = {}


def tracked_classes() -> list[type]:
    """The classes some of whose instances are watched."""
    return list(_TRACKING_CLASSES)


def tracked_targets() -> list[Target]:
    return [e.target for e in _INSTANCES.values()]


def _record_use(obj: Any) -> None:
    entry = _INSTANCES.get(id(obj))
    if entry is None or entry.obj is not obj:
        return
    user = current_user()
    if user is None:
        return
    entry.target.exercised = True
    if entry.first is None:
        entry.first = (user, location())
    elif entry.first[0] != user and not entry.leaked:
        entry.leaked = True
        RECORDER.leak(entry.target, entry.first, (user, location()), "instance")


def _tracked_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def amethod(self: Any, *args: Any, **kwargs: Any) -> Any:
            _record_use(self)
            return await fn(self, *args, **kwargs)

        return amethod

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        _record_use(self)
        return fn(self, *args, **kwargs)

    return method


def _tracking_class(cls: type) -> type:
    sub = _TRACKING_CLASSES.get(cls)
    if sub is not None:
        return sub
    namespace: dict[str, Any] = {"__slots__": (), "__module__": cls.__module__}
    for name in dir(cls):
        if name.startswith("__") and name != "__call__":
            continue
        raw = inspect.getattr_static(cls, name, None)
        if inspect.isfunction(raw):
            namespace[name] = _tracked_method(raw)

    def __reduce_ex__(self: Any, protocol: Any) -> Any:
        rv = cls.__reduce_ex__(self, protocol)  # type: ignore[call-arg]
        args = rv[1] if isinstance(rv, tuple) and len(rv) > 1 else None
        if isinstance(args, tuple) and args == (sub,):  # object.__reduce_ex__'s default
            # pickle checks __newobj__'s class: rebuild as the original class instead
            rebuild = copyreg._reconstructor  # type: ignore[attr-defined]
            rv = (rebuild, (cls, object, None), *rv[2:])
        return rv

    namespace["__reduce_ex__"] = __reduce_ex__
    sub = type(cls.__name__, (cls,), namespace)
    sub.__qualname__ = cls.__qualname__
    _TRACKING_CLASSES[cls] = sub
    return sub


def is_trackable_instance(obj: Any) -> bool:
    """A plain object of a Python class (not a module, class, function or builtin)."""
    cls = type(obj)  # never ``obj.__class__``: an object may answer what it likes
    try:
        return (
            not isinstance(obj, type)
            and not callable(obj)
            and cls.__module__ not in ("builtins", "types")
            and not isinstance(obj, CONTAINER_TYPES)
            and "__dict__" in _class_attributes(cls)
        )
    except Exception:  # a class whose attributes raise: left alone
        return False


def _plain_object(obj: Any) -> bool:
    """An instance of a Python class, whatever its attributes."""
    try:
        return (
            not isinstance(obj, type)
            and not callable(obj)
            and type(obj).__module__ not in ("builtins", "types")
            and not isinstance(obj, CONTAINER_TYPES)
        )
    except Exception:
        return False


def _class_attributes(cls: type) -> set[str]:
    return {name for klass in type.__getattribute__(cls, "__mro__") for name in vars(klass)}


# the metaclasses whose classes the sentinel subclasses (others may register the
# subclass, refuse it, or do anything at class creation)
_PLAIN_METACLASSES = (type, abc.ABCMeta)


def why_not_swappable(cls: type) -> str | None:
    """Why an instance of ``cls`` cannot be watched by giving it a subclass of its
    class without changing what the program sees (None: it can). Making a subclass
    runs the class's ``__init_subclass__`` and its metaclass: a registry of
    subclasses would hold one more, a class refusing subclasses would raise."""
    if cls in _TRACKING_CLASSES.values():
        return None
    name = getattr(cls, "__qualname__", "?")
    try:
        attributes = _class_attributes(cls)
        mro = type.__getattribute__(cls, "__mro__")
    except Exception as exc:
        return f"its class {name} cannot be inspected ({type(exc).__name__})"
    if "__dict__" not in attributes:
        return f"its class {name} has __slots__ (its instances cannot change class)"
    if vars(cls).get("__final__", False) is True:
        return f"its class {name} is final (@typing.final)"
    if type(cls) not in _PLAIN_METACLASSES:
        return f"its class {name} has the metaclass {type(cls).__qualname__}"
    for klass in mro[:-1]:
        if "__init_subclass__" in vars(klass):
            return (
                f"its class {name} runs {klass.__qualname__}.__init_subclass__ "
                "for each subclass (a registry of subclasses, or a class refusing them)"
            )
    return None


def track_instance(obj: Any, target: Target) -> Target | None:
    """Watch ``obj``'s method calls; the target it is watched under (an earlier one if
    it was already watched), or None when its class cannot be swapped (the reason
    in ``target.not_watched``)."""
    entry = _INSTANCES.get(id(obj))
    if entry is not None and entry.obj is obj:
        return entry.target
    cls = type(obj)
    if not is_trackable_instance(obj):
        if _plain_object(obj) and target.not_watched is None:
            target.not_watched = why_not_swappable(cls)  # __slots__
        return None
    why = why_not_swappable(cls)
    if why is None and cls not in _TRACKING_CLASSES.values():
        try:
            obj.__class__ = _tracking_class(cls)
        except Exception as exc:  # the class's own code refused: left as it was
            why = f"its class {cls.__qualname__} cannot be subclassed ({type(exc).__name__})"
    if why is not None:
        if target.not_watched is None:
            target.not_watched = why
        return None
    _INSTANCES[id(obj)] = _InstanceUse(target, obj=obj)
    return target


def _track_returned(obj: Any, target: Target) -> None:
    """What a getter returned: watched, and predicted by the getter's findings too
    (never an error for the caller: an object that cannot be watched is left as it is)."""
    try:
        watched = track_instance(obj, target)
    except Exception as exc:
        target.not_watched = target.not_watched or f"watching it failed ({type(exc).__name__})"
        return
    if watched is not None and watched is not target:
        for f in target.findings:
            watched.add(f)


def getter_proxy(fn: Callable[..., Any], target: Target) -> Callable[..., Any]:
    """``fn`` (a singleton getter) whose results are watched as instances."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def aget(*args: Any, **kwargs: Any) -> Any:
            obj = await fn(*args, **kwargs)
            _track_returned(obj, target)
            return obj

        aget._nws_getter = True  # type: ignore[attr-defined]
        return aget

    @functools.wraps(fn)
    def get(*args: Any, **kwargs: Any) -> Any:
        obj = fn(*args, **kwargs)
        _track_returned(obj, target)
        return obj

    get._nws_getter = True  # type: ignore[attr-defined]
    return get


def init_tracker(cls: type, target: Target) -> None:
    """Watch every instance of ``cls`` (a class-based singleton) once it is built."""
    original = cls.__dict__.get("__init__")
    inherited = cls.__init__ is object.__init__  # type: ignore[misc]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if original is not None:
            original(self, *args, **kwargs)
        elif not inherited:
            super(cls, self).__init__(*args, **kwargs)  # type: ignore[arg-type]
        _track_returned(self, target)

    cls.__init__ = __init__  # type: ignore[misc]


# ------------------------------------------------------------------ thread-locals

# who wrote each attribute, kept per thread like the values themselves:
# id(tracked thread-local) -> attribute -> (user, "file:line"), or None (nobody)
_TL_STATE = threading.local()
_TL_TARGETS: dict[int, tuple[Any, Target]] = {}
# how an NWS208 message names the object ("thread-local `_local` is per thread ...")
# and each attribute it names ("`_local.user` written in ...")
THREAD_LOCAL_NAME = re.compile(r"thread-local `([\w.]+)`")
THREAD_LOCAL_ATTRIBUTE = re.compile(r"`[\w.]+\.(\w+)` (?:read|written) in ")


def _attribute_target(target: Target, name: str) -> Target:
    """``target`` as predicted for attribute ``name``: by the findings that name it
    (none: an attribute the rules do not see, "not predicted")."""
    named = [
        f
        for f in target.findings
        if name in THREAD_LOCAL_ATTRIBUTE.findall(f.message)
    ]
    return Target(target.name, target.kind, named, exercised=True)


def _tl_writers(obj: Any) -> dict[str, Use | None]:
    by_obj: dict[int, dict[str, Use | None]] | None = getattr(_TL_STATE, "writers", None)
    if by_obj is None:
        by_obj = _TL_STATE.writers = {}
    return by_obj.setdefault(id(obj), {})


def _tl_target(obj: Any) -> Target | None:
    entry = _TL_TARGETS.get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else None


def _tl_write(obj: Any, name: str) -> None:
    target = _tl_target(obj)
    if target is None:
        return
    anonymous = getattr(_TL_STATE, "building", 0)  # defaults set by ``__init__``
    _tl_writers(obj)[name] = None if anonymous else _writer(target)


def _tl_read(obj: Any, name: str) -> None:
    target = _tl_target(obj)
    if target is None:
        return
    w = _tl_writers(obj).get(name)
    user = current_user()
    if user is None or w is None:
        if user is not None:
            target.exercised = True
        return
    target.exercised = True
    if w[0] != user:
        leaked = _attribute_target(target, name)
        RECORDER.leak(leaked, w, (user, location()), f"thread-local attribute {name!r}")


def _thread_local_class(cls: type) -> type:
    """A subclass of ``cls`` (``threading.local`` or a subclass) whose attribute
    writes and reads are noted, per thread as the values are."""
    base: Any = cls  # its methods, called on the subclass's instances

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _TL_STATE.building = getattr(_TL_STATE, "building", 0) + 1
        try:
            base.__init__(self, *args, **kwargs)
        finally:
            _TL_STATE.building -= 1

    def __getattribute__(self: Any, name: str) -> Any:
        value = base.__getattribute__(self, name)
        if not name.startswith("__"):
            _tl_read(self, name)
        return value

    def __setattr__(self: Any, name: str, value: Any) -> None:
        base.__setattr__(self, name, value)
        _tl_write(self, name)

    def __delattr__(self: Any, name: str) -> None:
        base.__delattr__(self, name)
        _tl_writers(self).pop(name, None)

    namespace = {
        "__init__": __init__,
        "__getattribute__": __getattribute__,
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
        "__module__": cls.__module__,
    }
    sub = type(cls.__name__, (cls,), namespace)
    sub.__qualname__ = cls.__qualname__
    return sub


def track_thread_local(obj: Any, target: Target) -> Any | None:
    """A new thread-local of a subclass of ``obj``'s class, holding the current
    thread's attributes of ``obj``, that notes who writes and reads each attribute;
    None when the class cannot be built again without arguments."""
    _TL_STATE.building = getattr(_TL_STATE, "building", 0) + 1
    try:
        new = _thread_local_class(type(obj))()
        for name, value in vars(obj).items():
            setattr(new, name, value)  # nobody's: import-time values
    except Exception:  # an ``__init__`` that needs the original arguments
        return None
    finally:
        _TL_STATE.building -= 1
    _TL_TARGETS[id(new)] = (new, target)
    return new
