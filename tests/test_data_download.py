"""Downloads against a real HTTP server on 127.0.0.1 (started here, ephemeral port).

The server misbehaves on request: drops the connection mid-body, resets it, stalls, answers
404, ignores Range. Dataset downloads go through EMBEDLAYER_MIRROR pointed at the same server,
which serves the shared mirror's files; nothing leaves this machine.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from embedlayer import config, data
from embedlayer.cli.main import main
from embedlayer.data._download import part_path
from embedlayer.errors import ChecksumError, DownloadError

BODY = bytes(range(256)) * 800  # 204,800 bytes: several network reads
BODY_SHA = hashlib.sha256(BODY).hexdigest()


@dataclass
class Route:
    body: bytes
    drops: int = 0              # the first `drops` answers stop after `drop_at` body bytes
    drop_at: int = 70_000
    reset: bool = False         # drop with a TCP reset instead of a clean close
    stall: str | None = None    # "headers": say nothing; "body": stop after `drop_at` bytes
    ranges: bool = True         # honour Range with 206; False: always 200 and the whole body
    status: int = 200


@dataclass
class Server:
    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    mirror: Path | None = None  # served under /mirror/
    log: list[tuple[str, str | None, int]] = field(default_factory=list)  # path, Range, status
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [p for p, _, _ in self.log]


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        state: Server = self.server.state  # type: ignore[attr-defined]
        route = state.routes.get(self.path)
        if route is None and state.mirror is not None and self.path.startswith("/mirror/"):
            local = state.mirror / self.path.removeprefix("/mirror/")
            if local.is_file():
                route = Route(local.read_bytes())
        if route is None or route.status == 404:
            state.log.append((self.path, self.headers.get("Range"), 404))
            self.send_error(404)
            return
        if route.stall == "headers":
            state.release.wait(5)
            return
        body, status, start = route.body, 200, 0
        wanted = self.headers.get("Range")
        if wanted and route.ranges:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            body, status = route.body[start:], 206
        state.log.append((self.path, wanted, status))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(route.body) - 1}/{len(route.body)}")
        self.end_headers()
        if route.stall == "body":
            self.wfile.write(body[: route.drop_at])
            self.wfile.flush()
            state.release.wait(5)
            return
        if route.drops > 0:
            route.drops -= 1
            self.wfile.write(body[: route.drop_at])
            self.wfile.flush()
            if route.reset:  # linger 0: close() sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            return  # HTTP/1.0: returning closes the connection, short of Content-Length
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    state = Server(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def mirror(server, data_dir, monkeypatch):
    """An empty data path and EMBEDLAYER_MIRROR pointing at the server's copy of the mirror."""
    server.mirror = data_dir
    monkeypatch.setenv("EMBEDLAYER_DATA", "")
    monkeypatch.setenv("EMBEDLAYER_MIRROR", server.url("/mirror/"))
    return server


def _refused_url() -> str:
    with socket.socket() as s:  # bind, note the port, close: now nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.bin"


# --- download(): one URL -------------------------------------------------------------------


def test_good_download_writes_the_file_and_shows_progress(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EMBEDLAYER_PROGRESS", "1")
    server.routes["/f.bin"] = Route(BODY)
    dest = tmp_path / "sub" / "f.bin"
    assert data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, size=len(BODY)) == dest
    assert dest.read_bytes() == BODY
    assert not part_path(dest).exists()
    err = capsys.readouterr().err
    assert "f.bin" in err and "100%" in err and "B/s" in err


def test_unknown_size_takes_the_total_from_content_length(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    dest = data.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=BODY_SHA, progress=False)
    assert dest.read_bytes() == BODY


def test_a_verified_file_is_not_fetched_again(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    dest = tmp_path / "f.bin"
    dest.write_bytes(BODY)
    data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, progress=False)
    assert server.log == []


def test_a_stale_file_is_replaced(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old")
    data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, progress=False)
    assert dest.read_bytes() == BODY


def test_wrong_checksum_leaves_nothing_behind(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY)
    dest = tmp_path / "f.bin"
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as info:
        data.download(server.url("/f.bin"), dest, sha256=wrong, size=len(BODY), progress=False)
    message = str(info.value)
    assert "f.bin" in message and BODY_SHA in message and wrong in message
    assert list(tmp_path.iterdir()) == []


def test_dropped_connection_is_a_download_error_and_keeps_the_part(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, drops=5)
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match=r"dropped after 70,000 of 204,800 bytes.*resumes"):
        data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, retries=0, progress=False)
    assert not dest.exists()
    assert part_path(dest).stat().st_size == 70_000


def test_connection_reset_is_a_download_error(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, drops=5, reset=True)
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match=r"could not download f.bin"):
        data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, retries=0, progress=False)
    assert not dest.exists()


def test_next_call_resumes_with_range(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, drops=1)
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError):
        data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, retries=0, progress=False)
    data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, retries=0, progress=False)
    assert dest.read_bytes() == BODY
    assert server.log == [("/f.bin", None, 200), ("/f.bin", "bytes=70000-", 206)]
    assert not part_path(dest).exists()


def test_drops_within_one_call_resume_automatically(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, drops=2)
    dest = data.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=BODY_SHA, retries=2,
                         progress=False)
    assert dest.read_bytes() == BODY
    assert [r for _, r, _ in server.log] == [None, "bytes=70000-", "bytes=140000-"]


def test_a_server_without_range_support_restarts_from_zero(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, drops=1, ranges=False)
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError):
        data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, retries=0, progress=False)
    data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, retries=0, progress=False)
    assert dest.read_bytes() == BODY
    assert [s for _, _, s in server.log] == [200, 200]


def test_refused_connection_suggests_the_data_path(tmp_path):
    with pytest.raises(DownloadError, match=r"could not download f.bin.*refused.*EMBEDLAYER_DATA"):
        data.download(_refused_url(), tmp_path / "f.bin", sha256=BODY_SHA, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_http_404_names_the_status(server, tmp_path):
    with pytest.raises(DownloadError, match=r"could not download f.bin from .*/nope: HTTP 404"):
        data.download(server.url("/nope"), tmp_path / "f.bin", sha256=BODY_SHA, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_silent_server_times_out(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, stall="headers")
    with pytest.raises(DownloadError, match=r"no answer within 0.3 s"):
        data.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=BODY_SHA, timeout=0.3,
                      progress=False)


def test_a_stall_mid_body_times_out(server, tmp_path):
    server.routes["/f.bin"] = Route(BODY, stall="body")
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match=r"dropped after 70,000 of 204,800 bytes \(timed out\)"):
        data.download(server.url("/f.bin"), dest, sha256=BODY_SHA, timeout=0.3, retries=0,
                      progress=False)
    assert not dest.exists()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sha256": "abc"}, r"expected 64 hexadecimal digits"),
    ({"sha256": BODY_SHA, "timeout": 0}, r"timeout 0: expected seconds > 0"),
    ({"sha256": BODY_SHA, "retries": -1}, r"retries -1"),
])
def test_bad_arguments_are_config_errors(tmp_path, kwargs, match):
    from embedlayer.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        data.download("http://127.0.0.1:9/x", tmp_path / "x", **kwargs)
    with pytest.raises(ConfigError, match=r"scheme 'ftp'"):
        data.download("ftp://example.org/x", tmp_path / "x", sha256=BODY_SHA)


# --- data.path(): whole datasets from the mirror ------------------------------------------


def test_path_downloads_a_dataset_from_the_mirror_into_the_cache(mirror, data_dir):
    got = data.path("lee-docsim", progress=False)
    cache = config.cache_dir()
    assert got == cache / "docsim/lee"
    for f in data.get("lee-docsim").files:
        assert (cache / f.path).read_bytes() == (data_dir / f.path).read_bytes()
    assert sorted(mirror.paths()) == ["/mirror/docsim/lee/lee.cor",
                                      "/mirror/docsim/lee/similarities0-1.txt"]
    report = data.verify("lee-docsim", progress=False)
    assert report.ok and report.datasets[0].location.kind == "cache"
    assert data.path("lee-docsim") == got  # second call: from the cache, no request
    assert len(mirror.log) == 2


def test_a_mirror_replaces_even_public_urls(mirror):
    # mc30 has a public URL on GitHub; with EMBEDLAYER_MIRROR set it is never used.
    assert data.path("mc30", progress=False).is_file()
    assert mirror.paths() == ["/mirror/wordsim/EN-MC-30.txt"]


def test_path_downloads_only_the_missing_files(mirror, data_dir):
    cache = config.cache_dir()
    pos = data.get("mr").file("rt-polarity.pos")
    (cache / pos.path).parent.mkdir(parents=True)
    (cache / pos.path).write_bytes((data_dir / pos.path).read_bytes())
    assert data.path("mr", progress=False) == cache / "classify/mr"
    assert mirror.paths() == ["/mirror/classify/mr/rt-polarity.neg"]


def test_a_damaged_cached_file_is_downloaded_again(mirror, data_dir):
    cache = config.cache_dir()
    target = cache / "wordsim/EN-RG-65.txt"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"truncated")
    assert data.path("rg65", progress=False) == target
    assert target.read_bytes() == (data_dir / "wordsim/EN-RG-65.txt").read_bytes()


def test_a_mirror_with_a_wrong_file_gives_a_checksum_error_and_no_file(mirror, tmp_path):
    fake = tmp_path / "fake-mirror"
    (fake / "wordsim").mkdir(parents=True)
    (fake / "wordsim/EN-RG-65.txt").write_text("gem\tjewel\t3.94\n")
    mirror.mirror = fake
    with pytest.raises(ChecksumError, match=r"dataset 'rg65' \(wordsim/EN-RG-65.txt\).*sha256"):
        data.path("rg65", progress=False)
    assert not any(config.cache_dir().rglob("*.txt*"))


def test_a_mirror_without_the_file_is_a_404(mirror, tmp_path):
    mirror.mirror = tmp_path
    with pytest.raises(DownloadError, match=r"dataset 'rg65' \(wordsim/EN-RG-65.txt\).*HTTP 404"):
        data.path("rg65", progress=False)


def test_offline_dataset_download_says_so_and_suggests_the_data_path(monkeypatch):
    monkeypatch.setenv("EMBEDLAYER_DATA", "")
    monkeypatch.setenv("EMBEDLAYER_MIRROR", _refused_url().removesuffix("file.bin"))
    with pytest.raises(DownloadError, match=r"could not download dataset 'mr' .*refused.*"
                                            r"set EMBEDLAYER_DATA to a folder"):
        data.path("mr", progress=False)
    assert not any(config.cache_dir().rglob("*"))


def test_a_file_url_mirror_works_offline(data_dir, monkeypatch):
    monkeypatch.setenv("EMBEDLAYER_DATA", "")
    monkeypatch.setenv("EMBEDLAYER_MIRROR", data_dir.as_uri())
    got = data.path("trec", "test.txt", progress=False)
    assert got == config.cache_dir() / "classify/trec/test.txt"
    assert got.read_bytes() == (data_dir / "classify/trec/test.txt").read_bytes()


def test_cli_path_downloads_and_prints_only_the_path(mirror, capsys):
    assert main(["data", "path", "lee-docsim"]) == 0
    out = capsys.readouterr().out
    assert out == f"{config.cache_dir() / 'docsim/lee'}{os.linesep}"


def test_cli_path_no_download_fails_with_one_line(mirror, capsys):
    assert main(["data", "path", "mr", "--no-download"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "embedlayer data: error: dataset 'mr'" in err
    assert mirror.log == []


def test_a_failing_source_falls_back_to_the_next(server, data_dir, tmp_path):
    from embedlayer.data._resolve import _download_file

    ds = data.get("mc30")
    f = ds.files[0]
    server.mirror = data_dir
    good = server.url("/mirror/" + f.path)
    dest = tmp_path / f.path
    _download_file(ds, f, [server.url("/gone"), good], dest, timeout=5, advance=lambda n: None)
    assert dest.read_bytes() == (data_dir / f.path).read_bytes()
    with pytest.raises(DownloadError, match=r"HTTP 404 .*also tried: .*/gone: .*HTTP 404"):
        _download_file(ds, f, [server.url("/gone"), server.url("/gone2")], tmp_path / "x",
                       timeout=5, advance=lambda n: None)
