"""A local Spark Connect server for the opt-in Spark tests: pyspark's own jars (the
[spark] extra) and a Java 17+ runtime, local mode, on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class SparkUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SparkServer:
    process: subprocess.Popen[bytes]
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


def start(timeout: float = 240.0) -> SparkServer:
    try:
        import pyspark
    except ImportError as error:
        raise SparkUnavailable("pyspark is not installed: pip install -e '.[dev,spark]'") from error
    if shutil.which("java") is None:
        raise SparkUnavailable("no Java runtime (Spark needs Java 17 or later)")
    home = Path(pyspark.__file__).parent
    root = Path(tempfile.mkdtemp(prefix="parley-spark-"))
    port = _free_port()
    command = [
        str(home / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master",
        "local[2]",
        *(
            item
            for setting in (
                "spark.connect.grpc.binding.address=127.0.0.1",
                f"spark.connect.grpc.binding.port={port}",
                "spark.driver.host=127.0.0.1",
                "spark.driver.bindAddress=127.0.0.1",
                "spark.ui.enabled=false",
                "spark.sql.session.timeZone=UTC",
                "spark.sql.catalogImplementation=in-memory",
                "spark.sql.shuffle.partitions=2",
                f"spark.sql.warehouse.dir={root / 'warehouse'}",
            )
            for item in ("--conf", setting)
        ),
        "spark-internal",
    ]
    with (root / "server.log").open("wb") as log:  # the server keeps its own copy
        process = subprocess.Popen(
            command,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"},
        )
    server = SparkServer(process, root, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = (root / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise SparkUnavailable(f"the Spark Connect server exited: {text}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.5)
    server.stop()
    raise SparkUnavailable("the Spark Connect server did not listen in time")
