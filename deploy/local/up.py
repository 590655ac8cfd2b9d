"""`make up`: the platform in the background, and an honest answer about whether it came up.

Starts honcho on deploy/local/Procfile (detached, its own session, output to the log file) and
returns 0 only once *its own* processes are alive, each listens on its port, and each service
(and the gateway) answers 200 on its own `/readyz`. A port another program already holds (another
copy of Settle, say) is refused before anything starts; a process that dies on the way, or a
platform not ready in time, stops everything this run started, removes the pid file and exits 1
saying which process and which port.

Ports come from the environment the Makefile passes (`make env` shows them).

Usage: up.py --pid-file .run/platform.pid --log .run/platform.log [--timeout 90] [--migrate "make migrate"]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy/local/Procfile"


@dataclass(frozen=True)
class Process:
    name: str  # as in the Procfile
    port_variable: str
    default_port: int
    readyz: bool  # the simulators have no /readyz: listening is their readiness

    @property
    def port(self) -> int:
        return int(os.environ.get(self.port_variable) or self.default_port)


PROCESSES = (
    Process("stripe", "STRIPE_SIM_PORT", 12111, readyz=False),
    Process("twilio", "TWILIO_SIM_PORT", 12112, readyz=False),
    Process("billing", "BILLING_PORT", 8001, readyz=True),
    Process("bookings", "BOOKINGS_PORT", 8002, readyz=True),
    Process("messaging", "MESSAGING_PORT", 8003, readyz=True),
    Process("notifications", "NOTIFICATIONS_PORT", 8004, readyz=True),
    Process("gateway", "GATEWAY_PORT", 8000, readyz=True),
)


class Failed(Exception):
    """Why the platform is not up, in words for the person who typed `make up`."""


def procfile_names() -> set[str]:
    lines = PROCFILE.read_text().splitlines()
    return {line.split(":", 1)[0] for line in lines if line.strip() and not line.startswith("#")}


def describe(pid: int | None) -> str:
    if pid is None:
        return "a process of another user"
    try:
        process = psutil.Process(pid)
        return f"pid {pid} ({' '.join(process.cmdline()) or process.name()})"
    except psutil.Error:
        return f"pid {pid}"


def holder(port: int) -> str:
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status != psutil.CONN_TIME_WAIT:
            return describe(connection.pid)
    return "another program"


def free(port: int) -> bool:
    """Whether a service could bind the port now (the same options uvicorn uses)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def refuse_taken_ports() -> None:
    problems = [
        f"port {p.port} ({p.name}, {p.port_variable}) is already in use by {holder(p.port)}"
        for p in PROCESSES
        if not free(p.port)
    ]
    if problems:
        raise Failed(
            "\n".join(problems)
            + "\nAnother copy of Settle? Stop it (make down) or run this one beside it: make up PORT_BASE=9000"
        )


def own_tree(honcho: psutil.Process) -> list[psutil.Process]:
    try:
        return [honcho, *honcho.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def own_listening_ports(tree: list[psutil.Process]) -> set[int]:
    ports = set()
    for process in tree:
        try:
            connections = process.net_connections(kind="tcp")
        except psutil.Error:
            continue
        ports |= {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN and c.laddr}
    return ports


def readyz(port: int) -> str | None:
    """None when ready, else what is wrong."""
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    except httpx.HTTPError as exc:
        return f"/readyz unreachable ({exc.__class__.__name__})"
    if response.status_code != 200:
        return f"/readyz answered {response.status_code}: {response.text[:300]}"
    return None


def not_ready(tree: list[psutil.Process]) -> dict[str, str]:
    """Process name -> what it still lacks; empty once every one is up."""
    bound = own_listening_ports(tree)
    waiting = {}
    for process in PROCESSES:
        if process.port not in bound:
            waiting[process.name] = f"not listening on port {process.port} yet"
        elif process.readyz and (reason := readyz(process.port)):
            waiting[process.name] = reason
    return waiting


# uvicorn's words when a server cannot listen, e.g. "[Errno 98] error while attempting to bind on
# address ('127.0.0.1', 8001): address already in use".
BIND_ERROR = re.compile(r"(\w+)\.1\s*\|.*error while attempting to bind on address \('([^']*)', (\d+)\): ([^\"]*)")
STOPPED = re.compile(r"system\s*\|\s*(\w+)\.1 stopped \(rc=(-?\d+)\)")


def bind_failure(output: str) -> str | None:
    """A process that could not listen (it may not even exit: a bind error is final all the same)."""
    if found := BIND_ERROR.search(output):
        name, host, port, reason = found.groups()
        return f"{name} could not listen on {host}:{port}: {reason.strip()}"
    return None


def why_it_stopped(output: str) -> str:
    """honcho stops everything once one process exits: name the first one, with its last words."""
    if stopped := STOPPED.search(output):
        name, rc = stopped.groups()
        ports = {p.name: p.port for p in PROCESSES}
        said = [line.split("|", 1)[1].strip() for line in output.splitlines() if re.search(rf"\b{name}\.1\s*\|", line)]
        tail = "\n  ".join(said[-8:]) or "(no output)"
        return f"{name} (port {ports.get(name, '?')}) exited with code {rc} before the platform was ready; its last output:\n  {tail}"
    return "honcho exited before the platform was ready"


def read(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def stop(honcho: subprocess.Popen, seen: dict[int, psutil.Process]) -> None:
    """Stops honcho (which stops its children) and then anything of ours still running."""
    if honcho.poll() is None:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(15)
        except subprocess.TimeoutExpired:
            honcho.kill()
            honcho.wait()
    leftovers = [p for p in seen.values() if p.pid != honcho.pid and p.is_running()]
    for process in leftovers:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(leftovers, timeout=10)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)


def up(pid_file: Path, log: Path, timeout: float, migrate: str | None) -> str:
    if pid_file.exists():
        try:
            running = psutil.Process(int(pid_file.read_text().strip()))
            if running.is_running() and "honcho" in " ".join(running.cmdline()):
                return f"already running (pid {running.pid}; logs: {log}, stop: make down)"
        except (ValueError, psutil.Error):
            pass
        pid_file.unlink()  # stale: that platform is gone

    if procfile_names() != {p.name for p in PROCESSES}:
        raise Failed(f"{PROCFILE} and deploy/local/up.py list different processes")
    refuse_taken_ports()
    if migrate:
        subprocess.run(shlex.split(migrate), cwd=ROOT, check=True)

    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "-f", str(PROCFILE), "start"],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(f"{honcho.pid}\n")
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + timeout
        waiting: dict[str, str] = {}
        while time.monotonic() < deadline:
            if honcho.poll() is not None:
                output = read(log)
                raise Failed(bind_failure(output) or why_it_stopped(output))
            if reason := bind_failure(read(log)):
                raise Failed(reason)
            tree = own_tree(psutil.Process(honcho.pid))
            seen.update({p.pid: p for p in tree})
            waiting = not_ready(tree)
            if not waiting and honcho.poll() is None:
                return f"Settle is up at http://127.0.0.1:{PROCESSES[-1].port} (logs: {log}, stop: make down)"
            time.sleep(0.5)
        raise Failed(f"not ready after {timeout:.0f}s:\n" + "\n".join(f"  {n}: {r}" for n, r in waiting.items()))
    except BaseException:
        stop(honcho, seen)
        pid_file.unlink(missing_ok=True)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pid-file", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--migrate", help="command that migrates the databases, run once the ports are known to be free")
    args = parser.parse_args()
    try:
        print(up(args.pid_file, args.log, args.timeout, args.migrate))
    except subprocess.CalledProcessError as failure:
        print(f"make up failed: the migrations failed ({failure.cmd})", file=sys.stderr)
        sys.exit(1)
    except Failed as failure:
        print(f"make up failed: {failure}", file=sys.stderr)
        if args.log.exists():
            print(f"(whole output: {args.log})", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
