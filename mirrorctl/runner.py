"""`mirrorctl run`: one command with a profile's variables and private temporary files, then nothing left.

The command gets mirrorctl's stdin, stdout and stderr, and its exit status becomes mirrorctl's (a death by
signal N is 128 + N, as a shell reports it). Temporary files live in a fresh folder made by ``mkdtemp`` (mode
0700; each file 0600) and are removed when the command ends, however it ends.

Signals: mirrorctl blocks SIGINT, SIGTERM, SIGHUP and SIGQUIT while the command runs and waits for them with
``sigwaitinfo`` together with SIGCHLD. A signal someone sent to mirrorctl with kill(2) (``si_code`` <= 0: SI_USER,
SI_QUEUE, SI_TKILL) is passed on to the command; one the terminal sent (``si_code`` > 0) already reached the
command, which is in the same process group, and is not sent twice. Where ``sigwaitinfo`` does not exist (macOS,
Windows) the signals are forwarded from ordinary handlers, and a Ctrl-C may reach the command twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mirrorctl.results import EnvPlan

EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126
FORWARDED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
                  if hasattr(signal, name))


class CommandNotFound(Exception):
    def __init__(self, command: str, exit_code: int, reason: str | None = None) -> None:
        super().__init__(command)
        self.command = command
        self.exit_code = exit_code
        self.reason = reason


def environment(plans: Sequence[EnvPlan], folder: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    """The child's environment (ours plus every plan's variables), and each temporary file by its variable.

    The files are written into ``folder``, created private, exclusive (never following a planted link).
    """
    env = dict(os.environ)
    files: dict[str, str] = {}
    for plan in plans:
        env.update(plan.variables)
        for file in plan.files:
            assert folder is not None
            path = folder / file.name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(file.text)
            env[file.variable] = files[file.variable] = str(path)
    return env, files


def resolve(command: str, env: dict[str, str]) -> str:
    """The executable the command names, searched on the child's PATH as a shell does; raises CommandNotFound."""
    import shutil

    if os.sep in command or (os.altsep and os.altsep in command):
        if not os.path.exists(command):
            raise CommandNotFound(command, EXIT_NOT_FOUND)
        if os.path.isdir(command) or not os.access(command, os.X_OK):
            raise CommandNotFound(command, EXIT_NOT_EXECUTABLE, "Permission denied")
        return command
    found = shutil.which(command, path=env.get("PATH", os.defpath))
    if found is None:
        raise CommandNotFound(command, EXIT_NOT_FOUND)
    return found


def run(plans: Sequence[EnvPlan], argv: Sequence[str], *, announce: Any = None) -> int:
    """Run ``argv`` with ``plans`` in effect; returns its exit status. ``announce(files)`` (for --verbose) is
    called with the temporary files once they exist, before the command starts."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mirrorctl-run-")) if any(p.files for p in plans) else None
    try:
        env, files = environment(plans, folder)
        executable = resolve(argv[0], env)
        if announce is not None:
            announce(files)
        return _wait(executable, list(argv), env)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _wait(executable: str, argv: list[str], env: dict[str, str]) -> int:
    if not hasattr(signal, "sigwaitinfo") or not hasattr(signal, "pthread_sigmask"):
        return _wait_with_handlers(executable, argv, env)
    waited = {*FORWARDED, signal.SIGCHLD}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, waited)

    def unblock() -> None:  # in the child, before exec: it gets the signal mask mirrorctl started with
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    try:
        try:
            child = subprocess.Popen([executable, *argv[1:]], executable=executable, env=env, preexec_fn=unblock)
        except OSError as exc:
            raise CommandNotFound(argv[0], EXIT_NOT_EXECUTABLE, exc.strerror or str(exc)) from None
        while True:
            info = signal.sigwaitinfo(waited)
            if info.si_signo == signal.SIGCHLD:
                if child.poll() is not None:
                    break
                continue
            if info.si_code <= 0 and child.poll() is None:  # sent with kill(2), not by the terminal
                child.send_signal(info.si_signo)
        return _status(child.wait())
    finally:
        _drain(waited)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _drain(waited: set[int]) -> None:
    """Consume the signals still pending (a second Ctrl-C that raced the command's end): they were meant for
    the command, not for mirrorctl's clean-up."""
    while signal.sigtimedwait(waited, 0) is not None:
        pass


def _wait_with_handlers(executable: str, argv: list[str], env: dict[str, str]) -> int:
    try:
        child = subprocess.Popen([executable, *argv[1:]], executable=executable, env=env)
    except OSError as exc:
        raise CommandNotFound(argv[0], EXIT_NOT_EXECUTABLE, exc.strerror or str(exc)) from None

    def forward(signo: int, frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signo)

    previous = {signo: signal.signal(signo, forward) for signo in FORWARDED}
    try:
        while True:
            try:
                return _status(child.wait())
            except KeyboardInterrupt:  # pragma: no cover - the handler above replaces the default one
                continue
    finally:
        for signo, handler in previous.items():
            signal.signal(signo, handler)
