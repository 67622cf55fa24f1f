"""scopegate for Python: compile a policy, hold it in an engine, decide requests.

A thin layer over libscopegate.so (scopegate.h) through ctypes. Set SCOPEGATE_LIBRARY
to the library's path when it is not where the dynamic linker looks.

    policy = scopegate.Policy.compile(["policies/"])   # raises CompileError
    engine = scopegate.Engine(policy)
    key = engine.principal_for_key(["sessions:read"])
    decision = engine.decide(key, "GET", "/api/v1/sessions/42")
    decision.allowed, decision.status, decision.reason, decision.message

An Engine may be shared by threads (decide, replace, principal_for_*); a Decision is a
value read from the policy that made it, which it keeps alive.
"""

import ctypes
import os
from typing import NamedTuple, Optional

from . import _native
from ._native import lib

__all__ = [
    "CompileError",
    "Decision",
    "Diagnostic",
    "Endpoint",
    "Engine",
    "Error",
    "Policy",
    "Principal",
    "Rule",
    "version",
]


class Error(Exception):
    """A call into libscopegate failed; `status` is its scopegate_status."""

    def __init__(self, status, message=None):
        self.status = status
        super().__init__(message or lib.scopegate_status_string(status).decode())


class Diagnostic(NamedTuple):
    file: str  # "" for a diagnostic about no file
    line: int
    column: int
    severity: str  # "error", "warning" or "note"
    code: str  # e.g. "unknown-scope" (docs/diagnostics.md)
    message: str
    help: str


class CompileError(Error):
    """The policy has errors: `diagnostics` lists them (and any warnings), `text` is
    what `scopegate check` prints."""

    def __init__(self, diagnostics, text):
        self.diagnostics = diagnostics
        self.text = text
        super().__init__(_native.COMPILE, text.rstrip("\n"))


def _check(status):
    if status == _native.OK:
        return
    if status == _native.INVALID_ARGUMENT:
        raise ValueError(lib.scopegate_status_string(status).decode())
    if status == _native.OUT_OF_MEMORY:
        raise MemoryError()
    raise Error(status)


_SEVERITIES = ("error", "warning", "note")


def _read_diagnostics(handle):
    # A diagnostic quotes the source line, which need not be UTF-8: such bytes read as
    # U+FFFD rather than failing the compile's report.
    def text(value):
        return value.decode("utf-8", errors="replace")

    diagnostics = []
    record = _native.Diagnostic()
    for i in range(lib.scopegate_diagnostics_count(handle)):
        _check(lib.scopegate_diagnostics_get(handle, i, ctypes.byref(record)))
        diagnostics.append(
            Diagnostic(
                text(record.file),
                record.line,
                record.column,
                _SEVERITIES[record.severity],
                text(record.code),
                text(record.message),
                text(record.help),
            )
        )
    return diagnostics, text(lib.scopegate_diagnostics_text(handle))


class _Handle:
    """Owns one scopegate.h handle and frees it with `_free`."""

    _free = None

    def __init__(self, pointer):
        self._pointer = pointer

    def __del__(self):
        pointer, self._pointer = getattr(self, "_pointer", None), None
        if pointer:
            type(self)._free(pointer)


class Policy(_Handle):
    """A compiled policy, to give to an Engine (which takes it: a policy serves one
    engine). `warnings` lists the warnings of its compile."""

    _free = staticmethod(lib.scopegate_policy_free)

    def __init__(self, pointer, warnings):
        super().__init__(pointer)
        self.warnings = warnings

    @classmethod
    def compile(cls, paths):
        """Compiles the given files, and every `*.policy` file in the given directories,
        as one policy. Raises CompileError."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        # Paths as the file system names them (os.fsencode), not re-encoded as UTF-8.
        array, count = _native.strings([os.fsencode(path) for path in paths], "a path")
        return cls._finish(
            lambda policy, diagnostics: lib.scopegate_compile_files(
                array, count, policy, diagnostics
            )
        )

    @classmethod
    def from_text(cls, text, file_name="<text>"):
        """Compiles one policy text; `file_name` is what diagnostics name."""
        return cls._finish(
            lambda policy, diagnostics: lib.scopegate_compile_text(
                _native.text(file_name, "file_name"),
                _native.text(text, "the policy text"),
                policy,
                diagnostics,
            )
        )

    @classmethod
    def _finish(cls, compile_):
        policy = ctypes.c_void_p()
        handle = ctypes.c_void_p()
        status = compile_(ctypes.byref(policy), ctypes.byref(handle))
        try:
            diagnostics, text = _read_diagnostics(handle) if handle else ([], "")
        finally:
            lib.scopegate_diagnostics_free(handle)
        if status == _native.COMPILE:
            raise CompileError(diagnostics, text)
        _check(status)
        return cls(policy.value, diagnostics)


class Principal(_Handle):
    """Who asks: an API key, a signed-in user or nobody. Built by an Engine (or
    Principal.anonymous()); a value that may be used from any thread once built."""

    _free = staticmethod(lib.scopegate_principal_free)

    @classmethod
    def anonymous(cls):
        pointer = ctypes.c_void_p()
        _check(lib.scopegate_principal_anonymous(ctypes.byref(pointer)))
        return cls(pointer.value)

    def set_identity(self, id=None, name=None, org=None):
        """principal.id, .name and .org for conditions; None is missing."""
        _check(
            lib.scopegate_principal_set_identity(
                self._pointer,
                _native.text(id, "id"),
                _native.text(name, "name"),
                _native.text(org, "org"),
            )
        )
        return self

    def set_allowed_cidrs(self, cidrs):
        """principal.allowed_cidrs, e.g. ["10.0.0.0/8"]; ValueError for a bad range."""
        array, count = _native.strings(list(cidrs), "an address range")
        _check(lib.scopegate_principal_set_allowed_cidrs(self._pointer, array, count))
        return self


class Endpoint(NamedTuple):
    method: str
    template: str
    description: str


class Rule(NamedTuple):
    file: str
    line: int
    column: int


class Decision(_Handle):
    """The answer to "may this principal call METHOD TARGET?", with its reason. Each
    field is read from the library when asked for."""

    _free = staticmethod(lib.scopegate_decision_free)

    @property
    def allowed(self) -> bool:
        return bool(lib.scopegate_decision_allowed(self._pointer))

    @property
    def status(self) -> int:
        return lib.scopegate_decision_status(self._pointer)

    @property
    def reason(self) -> str:
        """"allowed", "missing_scope", ... (docs/language.md)."""
        return lib.scopegate_decision_reason_code(self._pointer).text()

    @property
    def message(self) -> str:
        return lib.scopegate_decision_message(self._pointer).text()

    @property
    def endpoint(self) -> Optional[Endpoint]:
        """The matched endpoint; None for invalid_path, no_route, method_not_allowed."""
        if not lib.scopegate_decision_has_endpoint(self._pointer):
            return None
        return Endpoint(
            lib.scopegate_decision_endpoint_method(self._pointer).text(),
            lib.scopegate_decision_endpoint_template(self._pointer).text(),
            lib.scopegate_decision_endpoint_description(self._pointer).text(),
        )

    @property
    def params(self) -> dict:
        """Bound path parameters, values still percent-encoded."""
        count = lib.scopegate_decision_param_count(self._pointer)
        return {
            lib.scopegate_decision_param_name(self._pointer, i)
            .text(): lib.scopegate_decision_param_value(self._pointer, i)
            .text()
            for i in range(count)
        }

    @property
    def required_scopes(self) -> list:
        count = lib.scopegate_decision_required_scope_count(self._pointer)
        scope = lib.scopegate_decision_required_scope
        return [scope(self._pointer, i).text() for i in range(count)]

    @property
    def granted_by(self) -> Optional[str]:
        return lib.scopegate_decision_granted_by(self._pointer).text() or None

    @property
    def allowed_methods(self) -> str:
        """For method_not_allowed: the Allow header value, e.g. "GET, POST"."""
        return lib.scopegate_decision_allowed_methods(self._pointer).text()

    @property
    def rule(self) -> Optional[Rule]:
        """Where the deciding rule is written; None when no endpoint matched."""
        line = lib.scopegate_decision_rule_line(self._pointer)
        if line == 0:
            return None
        return Rule(
            lib.scopegate_decision_rule_file(self._pointer).text(),
            line,
            lib.scopegate_decision_rule_column(self._pointer),
        )

    def __repr__(self):
        return f"<Decision {self.status} {self.reason}: {self.message}>"


class Engine(_Handle):
    """Holds the policy in force and swaps it atomically; safe to share between threads."""

    _free = staticmethod(lib.scopegate_engine_free)

    def __init__(self, policy: Policy):
        pointer = ctypes.c_void_p()
        _check(lib.scopegate_engine_new(policy._pointer, ctypes.byref(pointer)))
        super().__init__(pointer.value)

    def replace(self, policy: Policy):
        """Makes `policy` (which it takes) the one in force for every later decision."""
        _check(lib.scopegate_engine_replace(self._pointer, policy._pointer))

    def principal_for_key(self, scopes) -> Principal:
        """An API key holding `scopes`; names the policy does not know grant nothing."""
        array, count = _native.strings(list(scopes), "a scope name")
        pointer = ctypes.c_void_p()
        _check(lib.scopegate_principal_for_key(self._pointer, array, count, ctypes.byref(pointer)))
        return Principal(pointer.value)

    def principal_for_role(self, role: str) -> Principal:
        """A signed-in user with `role`; an unknown role holds nothing."""
        pointer = ctypes.c_void_p()
        _check(
            lib.scopegate_principal_for_role(
                self._pointer, _native.text(role, "the role"), ctypes.byref(pointer)
            )
        )
        return Principal(pointer.value)

    def decide(self, principal, method, target, ip=None, headers=None, time=None) -> Decision:
        """Decides `method target` (a path, optionally with ?query) for `principal`.
        `ip` (text), `headers` (a mapping or pairs) and `time` (seconds since the epoch)
        are what conditions may read besides. Strings may be str (passed as UTF-8) or bytes
        (passed as they are). ValueError for an IP that does not parse, a
        time outside 64 bits, or a NUL character in any of the strings (percent-encode it
        in a target: `%00` is refused as a path should be)."""
        method_bytes = _native.text(method, "the method")
        target_bytes = _native.text(target, "the target")
        pointer = ctypes.c_void_p()
        _check(lib.scopegate_decision_new(ctypes.byref(pointer)))
        decision = Decision(pointer.value)
        if ip is None and not headers and time is None:
            status = lib.scopegate_decide(
                self._pointer, principal._pointer, method_bytes, target_bytes, pointer
            )
        else:
            if time is not None and not -(2**63) <= int(time) < 2**63:
                raise ValueError(f"time {time} does not fit in 64 bits")
            pairs = list(headers.items() if hasattr(headers, "items") else headers or [])
            array = (_native.Header * len(pairs))(
                *[
                    _native.Header(
                        _native.text(name, "a header name"), _native.text(value, "a header value")
                    )
                    for name, value in pairs
                ]
            )
            request = _native.Request(
                method_bytes,
                target_bytes,
                _native.text(ip, "the ip"),
                array,
                len(pairs),
                0 if time is None else 1,
                0 if time is None else int(time),
            )
            status = lib.scopegate_decide_request(
                self._pointer, principal._pointer, ctypes.byref(request), pointer
            )
        _check(status)
        return decision


def version() -> str:
    """The version of the libscopegate.so in use."""
    return lib.scopegate_version().decode()
