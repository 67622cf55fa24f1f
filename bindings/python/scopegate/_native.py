"""libscopegate.so through ctypes: the library, found once, and the prototypes of the
scopegate.h functions this package calls. Internal to the package."""

import ctypes
import os


class String(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]

    def text(self):
        if not self.size:
            return ""
        return ctypes.string_at(self.data, self.size).decode("utf-8", "replace")


class Diagnostic(ctypes.Structure):
    _fields_ = [
        ("file", ctypes.c_char_p),
        ("line", ctypes.c_uint32),
        ("column", ctypes.c_uint32),
        ("severity", ctypes.c_int),
        ("code", ctypes.c_char_p),
        ("message", ctypes.c_char_p),
        ("help", ctypes.c_char_p),
    ]


class Header(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Request(ctypes.Structure):
    _fields_ = [
        ("method", ctypes.c_char_p),
        ("target", ctypes.c_char_p),
        ("ip", ctypes.c_char_p),
        ("headers", ctypes.POINTER(Header)),
        ("header_count", ctypes.c_size_t),
        ("has_time", ctypes.c_int),
        ("time", ctypes.c_int64),
    ]


# SCOPEGATE_LIBRARY names the library file; otherwise the dynamic linker looks for the
# versioned name (LD_LIBRARY_PATH, the ld.so cache).
LIBRARY = os.environ.get("SCOPEGATE_LIBRARY") or "libscopegate.so.0"

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_str = ctypes.c_char_p
_strs = ctypes.POINTER(ctypes.c_char_p)
_size = ctypes.c_size_t
_int = ctypes.c_int

# name: (result type, argument types)
_PROTOTYPES = {
    "scopegate_status_string": (_str, [_int]),
    "scopegate_version": (_str, []),
    "scopegate_compile_files": (_int, [_strs, _size, _pp, _pp]),
    "scopegate_compile_text": (_int, [_str, _str, _pp, _pp]),
    "scopegate_policy_free": (None, [_p]),
    "scopegate_diagnostics_count": (_size, [_p]),
    "scopegate_diagnostics_get": (_int, [_p, _size, ctypes.POINTER(Diagnostic)]),
    "scopegate_diagnostics_text": (_str, [_p]),
    "scopegate_diagnostics_free": (None, [_p]),
    "scopegate_engine_new": (_int, [_p, _pp]),
    "scopegate_engine_replace": (_int, [_p, _p]),
    "scopegate_engine_free": (None, [_p]),
    "scopegate_principal_for_key": (_int, [_p, _strs, _size, _pp]),
    "scopegate_principal_for_role": (_int, [_p, _str, _pp]),
    "scopegate_principal_anonymous": (_int, [_pp]),
    "scopegate_principal_set_identity": (_int, [_p, _str, _str, _str]),
    "scopegate_principal_set_allowed_cidrs": (_int, [_p, _strs, _size]),
    "scopegate_principal_free": (None, [_p]),
    "scopegate_decision_new": (_int, [_pp]),
    "scopegate_decision_free": (None, [_p]),
    "scopegate_decide": (_int, [_p, _p, _str, _str, _p]),
    "scopegate_decide_request": (_int, [_p, _p, ctypes.POINTER(Request), _p]),
    "scopegate_decision_allowed": (_int, [_p]),
    "scopegate_decision_status": (_int, [_p]),
    "scopegate_decision_reason_code": (String, [_p]),
    "scopegate_decision_message": (String, [_p]),
    "scopegate_decision_has_endpoint": (_int, [_p]),
    "scopegate_decision_endpoint_method": (String, [_p]),
    "scopegate_decision_endpoint_template": (String, [_p]),
    "scopegate_decision_endpoint_description": (String, [_p]),
    "scopegate_decision_param_count": (_size, [_p]),
    "scopegate_decision_param_name": (String, [_p, _size]),
    "scopegate_decision_param_value": (String, [_p, _size]),
    "scopegate_decision_required_scope_count": (_size, [_p]),
    "scopegate_decision_required_scope": (String, [_p, _size]),
    "scopegate_decision_granted_by": (String, [_p]),
    "scopegate_decision_allowed_methods": (String, [_p]),
    "scopegate_decision_rule_file": (String, [_p]),
    "scopegate_decision_rule_line": (ctypes.c_uint32, [_p]),
    "scopegate_decision_rule_column": (ctypes.c_uint32, [_p]),
}


def _load():
    try:
        library = ctypes.CDLL(LIBRARY)
    except OSError as error:
        raise ImportError(
            f"scopegate: cannot load {LIBRARY} ({error}); set SCOPEGATE_LIBRARY to the path "
            "of libscopegate.so.0, or install it where the dynamic linker looks"
        ) from error
    for name, (result, arguments) in _PROTOTYPES.items():
        function = getattr(library, name)
        function.restype = result
        function.argtypes = arguments
    return library


lib = _load()

OK = 0
NULL_ARGUMENT = 1
INVALID_ARGUMENT = 2
COMPILE = 3
POLICY_USED = 4
OUT_OF_MEMORY = 5


def text(value, what):
    """`value` as a NUL-terminated string for C: a str as UTF-8, bytes as they are; None
    stays None. A NUL inside would end the string there, and C would see less than was
    given (a path cut short, a policy without its last rules): ValueError instead, naming
    the value as `what`."""
    if value is None:
        return None
    encoded = value if isinstance(value, bytes) else value.encode("utf-8")
    if b"\0" in encoded:
        raise ValueError(f"{what} contains a NUL character, which scopegate cannot be given")
    return encoded


def strings(values, what):
    """A C array of NUL-terminated UTF-8 strings (see text()), and its length."""
    encoded = [text(value, what) for value in values]
    return (ctypes.c_char_p * len(encoded))(*encoded), len(encoded)
