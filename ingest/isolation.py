"""Run one call at a time in a child process with a wall-time and a memory limit.

A hostile file can make a parser loop for minutes, allocate gigabytes or abort the interpreter
from native code. Parsing it in a :class:`BoundedWorker` keeps that inside a child process: the
caller gets :class:`CallTimedOut`, :class:`CallOutOfMemory` or :class:`WorkerDied` and carries on.
The child answers in JSON, never in a pickle, and the caller rebuilds the typed value it expects
(``returns``) and refuses anything else: a child taken over by a hostile file can send only data.

The child is a fresh interpreter (``sys.executable``, never a fork: safe when the caller has
threads, as a server or a loaded encoder does, and it never re-runs the caller's main script),
talks over a socket pair, serves calls one after another so the start-up cost is paid once, and is
replaced after any call that kills it, runs out of memory or times out. It ends by itself when the
caller goes away: at once when idle (its socket closes), and through a CPU-time limit of twice the
wall time when busy. The memory limit is the child's address space (``RLIMIT_AS``), so it includes
the interpreter and libraries loaded into it.
This module knows nothing about reports: it runs any module-level function whose result
:mod:`ingest.transport` can carry.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from ingest.transport import TransportError, dumps, from_data

__all__ = ["BoundedWorker", "CallFailed", "CallOutOfMemory", "CallTimedOut", "WorkerDied", "WorkerError",
           "WorkerStartFailed", "run_bounded", "shutdown_shared_worker"]

_START_SECONDS = 60.0  # allowed for the child to start (not counted in any call's wall time)
_MAX_ANSWER_BYTES = 2**30  # an answer larger than this is refused unread


class WorkerError(Exception):
    """A bounded call did not return a value."""


class CallTimedOut(WorkerError):
    """The call ran longer than its wall time; the child was killed."""


class CallOutOfMemory(WorkerError):
    """The call hit the memory limit (MemoryError in the child, or the child aborted allocating)."""


class WorkerDied(WorkerError):
    """The child ended without answering (a crash in native code, or killed from outside)."""

    def __init__(self, message: str, exitcode: int | None) -> None:
        super().__init__(message)
        self.exitcode = exitcode


class WorkerStartFailed(WorkerError):
    """The child could not be started, or did not say it was ready."""


class CallFailed(WorkerError):
    """The function raised in the child; ``kind`` is the exception's type name, ``detail`` its text."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


_BOOTSTRAP = "import sys; sys.path[:] = {path!r}; from ingest.isolation import _serve_fd; _serve_fd({fd})"


def _serve_fd(fd: int) -> None:
    """The child's entry point: serve calls on the inherited socket ``fd``."""
    from multiprocessing.connection import Connection

    _serve(Connection(fd))


def _answer(conn: Any, status: str, value: Any = None) -> None:
    conn.send_bytes(dumps({"status": status, "value": value}))


def _failure(exc: BaseException) -> list[str]:
    return [type(exc).__name__, " ".join(str(exc).split())[:300]]


def _set_limit(which: int, limits: tuple[int, int]) -> None:
    """setrlimit where the system supports it (RLIMIT_AS is not enforced everywhere Linux is not)."""
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, limits)


def _cpu_backstop(seconds: float, outside: tuple[int, int]) -> tuple[int, int]:
    """A CPU-time limit well past the call's wall time: it ends the call only if the caller, who
    enforces the wall time, has gone away meanwhile."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    budget = int(usage.ru_utime + usage.ru_stime + 2 * seconds + 10)
    if outside[1] != resource.RLIM_INFINITY:
        budget = min(budget, outside[1])
    return budget, outside[1]


def _serve(conn: Any) -> None:
    """The child's loop: receive (function, args, memory limit), answer in JSON, repeat."""
    import resource

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # native libraries' messages must not reach the caller's terminal
    os.dup2(devnull, 2)
    outside = resource.getrlimit(resource.RLIMIT_AS)  # a limit set from outside stays in force
    cpu_outside = resource.getrlimit(resource.RLIMIT_CPU)
    _answer(conn, "ready")
    while True:
        try:
            request = conn.recv()  # from the caller, who is trusted; answers go back as JSON only
        except (EOFError, OSError):
            return
        except Exception as exc:  # a function this interpreter cannot import, say
            _answer(conn, "raised", _failure(exc))
            continue
        if request is None:
            return
        func, args, memory_bytes, seconds = request
        ceilings = [limit for limit in (memory_bytes, *outside) if limit and limit != resource.RLIM_INFINITY]
        _set_limit(resource.RLIMIT_AS, (min(ceilings, default=resource.RLIM_INFINITY), outside[1]))
        _set_limit(resource.RLIMIT_CPU, _cpu_backstop(seconds, cpu_outside))
        status, value = "ok", None
        try:
            value = func(*args)
        except MemoryError:
            status = "memory"
        except BaseException as exc:  # reported to the caller; the child keeps serving
            status, value = "raised", _failure(exc)
        finally:
            _set_limit(resource.RLIMIT_AS, outside)
            _set_limit(resource.RLIMIT_CPU, cpu_outside)
        try:
            _answer(conn, status, value)
        except MemoryError:
            status = "memory"
            _answer(conn, status)
        except (TypeError, ValueError) as exc:  # a value JSON cannot carry
            _answer(conn, "raised", _failure(exc))
        if status == "memory":
            return  # a fresh child for the next call: this heap may be fragmented or half-built


class BoundedWorker:
    """A child process that runs one call at a time under a wall-time and a memory limit.

    Thread-safe: concurrent callers queue on a lock. Use as a context manager, or call
    :meth:`close`; a worker left open is ended when the interpreter exits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Any = None

    def call(self, func: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int | None,
             returns: Any = Any) -> Any:
        """``func(*args)`` in the child, its result rebuilt as ``returns``.

        Args:
            func: a module-level function (it is sent by name; its arguments are pickled).
            seconds: wall time allowed for the call; the child is killed when it runs out.
            memory_bytes: the child's address-space limit during the call (None: no limit).
            returns: the type of the result (a dataclass, ``tuple[int, ...]`` ...): the child's JSON
                answer is rebuilt as it and refused (``CallFailed``) when it does not fit.

        Raises:
            CallTimedOut, CallOutOfMemory, WorkerDied, CallFailed: the call did not return a value.
            WorkerStartFailed: the child could not be started (no memory or process slots left).
        """
        with self._lock:
            self._ensure_started()
            try:
                self._conn.send((func, args, memory_bytes, seconds))
                ready = self._conn.poll(seconds)
            except (BrokenPipeError, EOFError, OSError):
                ready = True  # the child is gone; recv below says how
            except BaseException:  # KeyboardInterrupt: the child's state is unknown
                self._kill()
                raise
            if not ready:
                self._kill()
                raise CallTimedOut(f"stopped after {seconds:g} s")
            try:
                answer = json.loads(self._conn.recv_bytes(_MAX_ANSWER_BYTES))
                status, value = answer["status"], answer["value"]
            except Exception:  # EOF: the child died; anything else: a garbled or oversized answer
                exitcode = self._kill()
                if exitcode is not None and -exitcode in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
                    raise CallOutOfMemory(f"the reading process aborted ({_signal_name(-exitcode)})") from None
                raise WorkerDied(f"the reading process ended without an answer ({_exit_text(exitcode)})",
                                 exitcode) from None
            if status == "memory":
                self._kill()
                raise CallOutOfMemory("MemoryError")
            try:
                if status == "ok":
                    return from_data(returns, value, "answer")
                kind, detail = from_data(tuple[str, str], value, "failure")
            except TransportError as exc:
                self._kill()
                raise CallFailed("TransportError", str(exc)) from None
            raise CallFailed(kind, detail)

    def close(self) -> None:
        """End the child (politely, then by force)."""
        with self._lock:
            if self._process is None:
                return
            with contextlib.suppress(Exception):
                self._conn.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(2)
            self._kill()

    def __enter__(self) -> BoundedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_started(self) -> None:
        """Start the child if there is none alive, and wait until it is ready to serve.

        Raises:
            WorkerStartFailed: the child could not be started or did not get ready.
        """
        from multiprocessing.connection import Connection

        if self._process is not None and self._process.poll() is None:
            return
        self._kill()
        ours, theirs = socket.socketpair()
        try:
            code = _BOOTSTRAP.format(path=list(sys.path), fd=theirs.fileno())
            self._process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()],
                                             stdin=subprocess.DEVNULL, close_fds=True)
        except OSError as exc:
            ours.close()
            raise WorkerStartFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        try:
            started = self._conn.poll(_START_SECONDS) and json.loads(self._conn.recv_bytes(1024)) == {
                "status": "ready", "value": None}
        except (EOFError, OSError, ValueError):
            started = False
        except BaseException:
            self._kill()
            raise
        if not started:
            exitcode = self._kill()
            raise WorkerStartFailed(f"it did not get ready ({_exit_text(exitcode)})")

    def _kill(self) -> int | None:
        """Kill and reap the child, if any; its exit code (negative: the signal that ended it)."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        try:
            return process.wait(10)
        except subprocess.TimeoutExpired:
            return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _exit_text(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    return _signal_name(-exitcode) if exitcode < 0 else f"exit status {exitcode}"


_shared: BoundedWorker | None = None
_shared_lock = threading.Lock()


def run_bounded(func: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int | None,
                returns: Any = Any) -> Any:
    """``func(*args)`` in this process's shared :class:`BoundedWorker` (started on first use).

    Raises:
        The same as :meth:`BoundedWorker.call`.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BoundedWorker()
            atexit.register(shutdown_shared_worker)
        worker = _shared
    return worker.call(func, *args, seconds=seconds, memory_bytes=memory_bytes, returns=returns)


def shutdown_shared_worker() -> None:
    """End the shared worker's child process, if one is running (it restarts on next use)."""
    with _shared_lock:
        worker = _shared
    if worker is not None:
        worker.close()
