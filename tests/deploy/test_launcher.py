"""``python -m deploy`` refuses what it cannot do with one clear line, and ``down`` stops only what ``up`` started.

No cluster is started here (tests/browser/test_cluster.py does that): these are the refusals and the bookkeeping.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploy.__main__ import main
from deploy.cluster import Cluster, ClusterError, Layout, Started, down, haproxy_config, haproxy_path, up
from tests.browser.helpers import free_ports

HAPROXY = haproxy_path() or "/usr/sbin/haproxy"


@pytest.mark.parametrize(("changes", "says"), [
    ({"replicas": 0}, "Between 1 and 32 replicas"),
    ({"database": "prod; DROP TABLE users"}, "not a plain database name"),
    ({"port": 8601}, "apart from the replicas'"),
    ({"port": 80}, "Ports must be 1024-65535"),
])
def test_a_bad_layout_is_refused_with_the_reason(changes: dict[str, object], says: str, tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=says):
        Layout(**{"state_dir": tmp_path, **changes})  # type: ignore[arg-type]


def test_the_cli_prints_one_line_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--state-dir", str(tmp_path), "up", "--replicas", "40"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Between 1 and 32 replicas") and "Traceback" not in err
    assert main(["--state-dir", str(tmp_path), "down"]) == 0
    assert "nothing was running" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["--state-dir", str(tmp_path), "up", "--replicas", "three"])
    assert exit_.value.code == 2


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="HAProxy is not installed (make haproxy)")
def test_a_busy_port_is_named_before_anything_starts(tmp_path: Path) -> None:
    first = free_ports(3)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first + 2))
        busy.listen()
        with pytest.raises(ClusterError, match=f"Port\\(s\\) {first + 2} already in use"):
            up(Layout(replicas=2, port=first, first_port=first + 1, state_dir=tmp_path))
    assert not (tmp_path / "state.json").exists()


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="HAProxy is not installed (make haproxy)")
def test_an_unreachable_database_server_is_said_plainly(tmp_path: Path) -> None:
    first = free_ports(4)  # nothing listens on first + 3: no PostgreSQL there
    layout = Layout(replicas=1, port=first, first_port=first + 1, state_dir=tmp_path,
                    server_url=f"postgresql+psycopg://postgres@127.0.0.1:{first + 3}")
    with pytest.raises(ClusterError, match=r"cannot be used .* Is it running"):
        up(layout)
    assert not (tmp_path / "state.json").exists()


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="HAProxy is not installed (make haproxy)")
def test_the_balancer_configuration_is_valid_for_haproxy(tmp_path: Path) -> None:
    layout = Layout(replicas=3, port=18080, first_port=18601, state_dir=tmp_path)
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(layout))
    check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = config.read_text()
    assert "bind 127.0.0.1:18080" in text and "cookie practice_replica insert" in text
    assert [line.split()[1:3] for line in text.splitlines() if line.strip().startswith("server ")] == \
        [["r1", "127.0.0.1:18601"], ["r2", "127.0.0.1:18602"], ["r3", "127.0.0.1:18603"]]


def test_down_stops_only_the_processes_it_started(tmp_path: Path) -> None:
    """A recorded pid that now belongs to another program (the cluster died, the pid was reused) is left alone;
    a recorded replica that still runs is stopped."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    port = free_ports(1)
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "deploy replica", "--port",
                             str(port)])  # looks like `python -m deploy replica --port P` to down()
    try:
        layout = Layout(replicas=2, port=port + 10, first_port=port, state_dir=tmp_path)
        Cluster(layout, [Started("r1", ours.pid, port, ""), Started("r2", stranger.pid, port + 1, "")],
                Started("balancer", stranger.pid, port + 10, "")).save()
        assert json.loads((tmp_path / "state.json").read_text())["replicas"][0]["pid"] == ours.pid
        stopped = down(tmp_path)
        assert stopped == [f"r1 (pid {ours.pid}, port {port})"]
        assert ours.wait(timeout=10) is not None
        time.sleep(0.2)
        assert stranger.poll() is None  # still running
        assert not (tmp_path / "state.json").exists()
        assert down(tmp_path) == []
    finally:
        stranger.kill()
        ours.kill()
