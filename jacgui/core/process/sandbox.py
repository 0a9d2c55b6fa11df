"""The engine's sandbox on Linux: Landlock, a socket filter and a memory ceiling.

:func:`apply` confines the calling process for one model, through a few ``ctypes`` system
calls (no extra package):

- **Landlock** (Linux 5.13+; every filesystem right the kernel's ABI knows is handled):
  read-only access to the Python installation and every ``sys.path`` entry, the folders of
  every library already mapped, the system library folders, a few ``/proc`` and ``/sys`` files
  TensorFlow reads, ``/dev/urandom``, and the model file or folder with its sidecar;
  read-write access to a private temporary folder (``HOME`` and ``TMPDIR`` point there) and
  ``/dev/null``. Nothing may be executed. With ABI 4+ TCP bind and connect are denied; with
  ABI 6+ the engine cannot signal processes outside its sandbox nor reach abstract Unix
  sockets.
- **A seccomp filter** (x86-64 and arm64) that makes ``socket``, ``socketpair`` and
  ``io_uring`` fail with EACCES: no UDP, no Unix-socket connections (to a D-Bus, X11 or
  Docker socket), whatever the Landlock ABI.
- ``PR_SET_NO_NEW_PRIVS``, which both of these require.

Landlock restricts the calling thread and the threads it creates later, so :func:`apply` must
run while the process has a single thread: the engine imports TensorFlow (which starts no
thread) and waits for its model before starting any. :func:`apply_memory_limit` caps the
engine's private memory (``RLIMIT_DATA``) for trusted models too.

The sandbox cannot be loosened once applied, which is why one engine serves one model.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from ..loaders.sidecar import find_sidecar
from ..model_info import SandboxStatus

__all__ = ["SandboxError", "apply", "apply_memory_limit", "default_memory_limit",
           "format_bytes", "landlock_abi", "support_summary", "unconfined"]

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

# Filesystem rights (include/uapi/linux/landlock.h) and the ABI that introduced them. A newer
# ABI's new rights are not handled (so not denied) until they are added here.
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_TRUNCATE, _IOCTL_DEV = 1 << 14, 1 << 15
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
_NET_TCP = 0b11  # bind and connect (ABI 4)
_SCOPES = 0b11  # abstract Unix sockets and signals (ABI 6)

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2

#: Read-only system locations TensorFlow and Python need (files or folders; missing ones are
#: skipped).
SYSTEM_READ = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib", "/etc/ld.so.cache",
               "/etc/localtime", "/dev/urandom", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat",
               "/sys/devices/system/cpu")


class SandboxError(Exception):
    """The sandbox could not be applied (the engine then refuses to load the model)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _syscall(number: int, *args: object) -> int:
    result = _libc().syscall(number, *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return int(result)


def landlock_abi() -> tuple[int, str]:
    """The kernel's Landlock ABI version, or 0 and why there is none."""
    if not sys.platform.startswith("linux"):
        return 0, f"Landlock is Linux-only and this is {platform.system() or sys.platform}"
    try:
        return _syscall(_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION), ""
    except OSError as error:
        if error.errno == errno.ENOSYS:
            return 0, f"this kernel ({platform.release()}) has no Landlock (Linux 5.13+ has it)"
        if error.errno == errno.EOPNOTSUPP:
            return 0, "Landlock is disabled in this kernel's boot options (lsm=)"
        return 0, f"Landlock is unavailable ({error.strerror})"
    except AttributeError:  # no syscall() in this C library
        return 0, "this C library cannot make the Landlock system calls"


def support_summary() -> str:
    """One line about the sandbox this machine offers (for the handshake and ``jacgui info``)."""
    abi, reason = landlock_abi()
    if abi:
        return f"Landlock ABI {abi}"
    return f"no sandbox: {reason}; relying on the model scans"


def default_memory_limit() -> int:
    """Half the physical memory, at least 2 GiB (the engine's default ceiling)."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 8 << 30
    return max(2 << 30, physical // 2)


def format_bytes(count: int) -> str:
    """``"11.5 GiB"``, ``"512 MiB"``."""
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f} GiB"
    return f"{count / (1 << 20):.0f} MiB"


def apply_memory_limit(limit: int) -> None:
    """Cap this process's private memory at ``limit`` bytes (0: no cap) and disable core dumps.

    ``RLIMIT_DATA`` counts private writable mappings: the heap, TensorFlow's tensors and thread
    stacks, but not the libraries' code (which ``RLIMIT_AS`` would count: TensorFlow maps about
    2 GB of address space before doing anything). An allocation over the cap fails: NumPy and
    TensorFlow raise (MemoryError, ResourceExhaustedError) or the process dies.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limit > 0 and hasattr(resource, "RLIMIT_DATA"):
        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def unconfined(reason: str, memory_limit: int) -> SandboxStatus:
    """The status of an engine that runs without the sandbox, and why."""
    limit = f"; memory limit {format_bytes(memory_limit)}" if memory_limit else ""
    return SandboxStatus(False, f"no sandbox: {reason}{limit}", landlock_abi()[0], memory_limit)


def apply(model_path: str | Path, private_dir: str | Path, memory_limit: int) -> SandboxStatus:
    """Confine this process for ``model_path`` (see the module docstring).

    Raises
    ------
    SandboxError
        When the kernel has no Landlock, the process already runs several threads, or a
        system call fails; nothing is half-applied that would be taken for a sandbox.
    """
    abi, reason = landlock_abi()
    if not abi:
        raise SandboxError(reason)
    threads = _thread_count()
    if threads != 1:
        raise SandboxError(f"the engine already runs {threads} threads; Landlock would not "
                           "confine them")
    read_only, read_write = paths_for(Path(model_path), Path(private_dir))
    try:
        _restrict(abi, read_only, read_write)
        sockets = _block_sockets()
    except OSError as error:
        raise SandboxError(f"a sandbox system call failed: {error.strerror}") from error
    network = "no network" if abi >= 4 or sockets else "network open (Landlock ABI < 4)"
    summary = (f"sandboxed (Landlock ABI {abi}): reads Python, system libraries and the model "
               f"only; writes a private temp folder only; {network}")
    if memory_limit:
        summary += f"; memory limit {format_bytes(memory_limit)}"
    return SandboxStatus(True, summary, abi, memory_limit, sockets)


def paths_for(model: Path, private_dir: Path) -> tuple[list[Path], list[Path]]:
    """The read-only and read-write paths of the sandbox for ``model``."""
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path,
              Path(__file__).resolve().parents[2]]
    read_only = [Path(p) for p in python if p]
    read_only += _mapped_library_folders()
    read_only += [Path(p) for p in SYSTEM_READ]
    read_only.append(model)
    sidecar = find_sidecar(model)
    if sidecar is not None:
        read_only.append(sidecar)
    return _existing(read_only), _existing([private_dir, Path(os.devnull)])


def _existing(paths: Iterable[Path]) -> list[Path]:
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            continue
        if resolved.exists():
            seen.setdefault(str(resolved), resolved)
    return list(seen.values())


def _mapped_library_folders() -> list[Path]:
    # Libraries found through RPATHs or LD_LIBRARY_PATH may live outside the usual folders;
    # the ones TensorFlow loads later sit next to the ones it has already mapped.
    folders = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith("/"):
                    folders.add(os.path.dirname(fields[5].strip()))
    except OSError:
        return []
    return [Path(folder) for folder in sorted(folders)]


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _restrict(abi: int, read_only: list[Path], read_write: list[Path]) -> None:
    fs_rights = _FS_RIGHTS_BY_ABI[max(k for k in _FS_RIGHTS_BY_ABI if k <= abi)]
    attr = _RulesetAttr(fs_rights, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _syscall(_CREATE_RULESET, ctypes.byref(attr), size, 0)
    try:
        for path in read_only:
            _allow(ruleset, path, _READ_FILE | _READ_DIR, fs_rights)
        for path in read_write:
            _allow(ruleset, path, fs_rights & ~_EXECUTE, fs_rights)
        _allow(ruleset, Path(f"/proc/{os.getpid()}"), _READ_FILE | _READ_DIR | _WRITE_FILE,
               fs_rights)  # thread names; only this process's own entries
        if _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        _syscall(_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: Path, rights: int, handled: int) -> None:
    rights &= handled
    if not path.is_dir():
        rights &= _FILE_RIGHTS
    descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneathAttr(rights, descriptor)
        _syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(descriptor)


# Seccomp: (AUDIT_ARCH, socket, socketpair) per machine; io_uring is 425-427 everywhere.
_ARCHES = {"x86_64": (0xC000003E, 41, 53), "aarch64": (0xC00000B7, 198, 199)}
_IO_URING = (425, 426, 427)
_X32_BIT = 0x40000000


def _block_sockets() -> bool:
    """Install a seccomp filter that fails socket creation and io_uring with EACCES."""
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return False
    audit_arch, *denied = arch
    denied += _IO_URING
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EACCES
    # Instructions after the checks: [allow, deny]; jumps are relative to the next one.
    checks = len(denied) + 1  # the x32 guard and one test per denied call
    program = [(ld, 0, 0, 4), (jeq, 1, 0, audit_arch), (ret, 0, 0, deny), (ld, 0, 0, 0),
               (jge, checks, 0, _X32_BIT)]
    for index, number in enumerate(denied):
        program.append((jeq, checks - 1 - index, 0, number))
    program += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    filters = (_SockFilter * len(program))(*(_SockFilter(*op) for op in program))
    prog = _SockFprog(len(program), filters)
    if _libc().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return True
