"""``python -m deploy up [--replicas N] [--port P] [--first-port P] [--database NAME] [--fresh] | down
[--drop-database] | status | replica --port P``.

``up`` starts the cluster and returns once every replica answers through the balancer; ``down`` stops exactly
what ``up`` started; ``status`` lists it; ``replica`` is what each replica process runs (migrate under the lock,
then ``streamlit run server.py``). Exit 0 on success, 1 when the cluster cannot start or stop, 2 on bad input.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from clitools import OneLineParser
from deploy.cluster import ROOT, Cluster, ClusterError, Layout, down, up


def replica(port: int) -> int:
    from db.migrate import upgrade
    from settings import Settings

    upgrade(Settings().database_url)
    streamlit = [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true"]
    os.chdir(ROOT)
    os.execv(sys.executable, streamlit)  # the same process: the pid the launcher recorded is the server's


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m deploy")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".cluster")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    start = sub.add_parser("up", help="start PostgreSQL's database, the replicas and HAProxy")
    start.add_argument("--replicas", type=int, default=3)
    start.add_argument("--port", type=int, default=8080, help="the load balancer's port")
    start.add_argument("--first-port", type=int, default=8601, help="replica i listens on this + i - 1")
    start.add_argument("--database", default="practice_cluster")
    start.add_argument("--server-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    start.add_argument("--environment", choices=["development", "production"], default="production")
    start.add_argument("--fresh", action="store_true", help="drop the cluster's database first")
    stop = sub.add_parser("down", help="stop what up started")
    stop.add_argument("--drop-database", action="store_true")
    sub.add_parser("status", help="what up started and whether it still runs")
    one = sub.add_parser("replica", help="run one replica (used by up)")
    one.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "replica":
            return replica(args.port)
        if args.command == "up":
            layout = Layout(args.replicas, args.port, args.first_port, args.database, args.server_url,
                            args.state_dir, args.environment)
            cluster = up(layout, fresh=args.fresh)
            for r in cluster.replicas:
                print(f"{r.name}: {r.url} (pid {r.pid}, log {r.log})")
            print(f"HAProxy: {cluster.url} (pid {cluster.balancer.pid if cluster.balancer else '?'}); "
                  f"database {layout.database_url}\nOpen {cluster.url}; stop with make cluster-down.")
        elif args.command == "down":
            stopped = down(args.state_dir, drop=args.drop_database)
            print("\n".join(f"stopped {s}" for s in stopped) or "nothing was running")
        else:
            found = Cluster.load(args.state_dir)
            if found is None:
                print("no cluster started from " + str(args.state_dir))
            else:
                alive = {p.name for p in found.running()}
                for p in [*found.replicas, *([found.balancer] if found.balancer else [])]:
                    print(f"{p.name}: {p.url} pid {p.pid} {'running' if p.name in alive else 'stopped'}")
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
