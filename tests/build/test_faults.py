"""Faults: kill -9 at random moments, two builds at once, a full disk, hostile cells, Ctrl-C.

Every build is the real CLI in a subprocess with its own TMPDIR and an
environment tag, so the processes it leaves behind (zygote, workers, whatever
cells started) can be found in /proc afterwards, and its temporary files too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from generator.output.writer import OLD_PREFIX
from tests.helpers import generator_env, write_files

TRIALS = 20
FAULT_SEED = int(os.environ.get("LESSONPRESS_FAULT_SEED", "20240611"))


# --------------------------------------------------------------------------- helpers


def digest(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def tagged_processes(tag: str) -> list[int]:
    """Live processes whose environment carries ``LP_FAULT_TAG=tag``."""
    needle = f"LP_FAULT_TAG={tag}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{name}/stat", "rb") as f:
                if f.read().rpartition(b")")[2].split()[0] == b"Z":
                    continue
            with open(f"/proc/{name}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(name))
    return found


def wait_no_processes(tag: str, seconds: float = 10.0) -> list[int]:
    """Processes still alive after ``seconds`` (an empty list is the goal)."""
    deadline = time.monotonic() + seconds
    while (alive := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def kill_tagged(tag: str) -> None:
    for pid in tagged_processes(tag):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class Runner:
    """Starts builds of ``src`` into ``out`` from ``scratch``, tagged and with a private TMPDIR."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.src = scratch / "src"
        self.out = scratch / "out"
        self.tmp = scratch / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.tag = uuid.uuid4().hex

    def env(self) -> dict[str, str]:
        return generator_env(
            {"TMPDIR": str(self.tmp), "LP_FAULT_TAG": self.tag, "SOURCE_DATE_EPOCH": "1700000000"}
        )

    def command(self, *args: str, src: Path | None = None, out: Path | None = None) -> list[str]:
        src, out = src or self.src, out or self.out
        return [sys.executable, "-m", "generator", "build", "--source", str(src), "--out", str(out), *args]  # fmt: skip

    def start(
        self,
        *args: str,
        preexec: Callable[[], None] | None = None,
        prefix: Sequence[str] = (),
        **where: Path,
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*prefix, *self.command(*args, **where)],
            cwd=self.scratch,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # like a shell job: Ctrl-C goes to the whole group
            preexec_fn=preexec,
        )

    def build(
        self, *args: str, timeout: float = 120, preexec: Callable[[], None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        process = self.start(*args, preexec=preexec)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"build hung for {timeout} s")
        assert "Traceback" not in err, err
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def leftovers(self) -> list[str]:
        """Temporary entries next to the output folder or in TMPDIR."""
        near = [p.name for p in self.scratch.iterdir() if p.name.startswith(OLD_PREFIX)]
        return sorted(near + [f"TMPDIR/{p.name}" for p in self.tmp.iterdir()])


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    made = Runner(tmp_path)
    yield made
    kill_tagged(made.tag)  # never leave a stray process behind a failed test


def post(title: str, body: str = "Some prose.\n", cell: str | None = None) -> str:
    text = f"---\ntitle: {title}\ndate: 2024-01-01\n---\n# {title}\n\n{body}\n"
    if cell is not None:
        text += f"\n```python {{compute}}\n{cell}\n```\n"
    return text


def small_site(trial: int) -> dict[str, str]:
    """Five posts, one of them computed; ``trial`` changes prose, a cell and a static file."""
    files = {
        "site.yml": "title: Faults\nbase_url: https://example.org/\n",
        "static/notes/trial.txt": f"trial {trial}\n",
        "content/posts/computed.md": post(
            "Computed",
            cell=f"xs = list(range({trial % 7 + 3}))\ndataset('squares', x=xs, y=[x * x for x in xs])\nprint('trial', {trial})",
        ),
    }
    for i in range(4):
        files[f"content/posts/prose-{i}.md"] = post(
            f"Prose {i}", f"Trial {trial}, post {i}.\n" * 40
        )
    return files


# --------------------------------------------------------------------------- kill -9


def warm_build_seconds(runner: Runner, sites: list[dict[str, str]]) -> float:
    """The median time of builds that each follow an edit, as every trial's build does."""
    times = []
    for files in sites:
        write_files(runner.src, files)
        started = time.monotonic()
        built = runner.build()
        times.append(time.monotonic() - started)
        assert built.returncode == 0, built.stderr
    return sorted(times)[len(times) // 2]


def test_kill_9_at_random_moments_never_loses_the_site(runner: Runner) -> None:
    write_files(runner.src, small_site(0))
    first = runner.build()
    assert first.returncode == 0, first.stderr
    # The kill moments span a build like those the trials kill: warm caches, one post to
    # recompute. Not the first build: with no caches (and on a fresh machine, bytecode to
    # compile) it takes several times as long, and most kills would land after the end.
    span = warm_build_seconds(runner, [small_site(-k) for k in (1, 2, 3)])
    previous = digest(runner.out)
    rng = random.Random(FAULT_SEED)
    survived, killed, log = 0, 0, []
    for trial in range(1, TRIALS + 1):
        write_files(runner.src, small_site(trial))
        delay = rng.uniform(0.0, span * 1.1)
        process = runner.start()
        time.sleep(delay)
        was_running = process.poll() is None
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)  # the build process only, as the OOM killer would
        process.communicate()
        killed += was_running
        after_kill = digest(runner.out)
        orphans = wait_no_processes(runner.tag)
        rebuilt = runner.build()  # no manual clean-up in between
        current = digest(runner.out)
        stray = [e for e in runner.leftovers() if not e.startswith("TMPDIR/lessonpress-compute-")]
        ok = rebuilt.returncode == 0 and after_kill in (previous, current) and not orphans
        ok = ok and not stray
        log.append(
            f"trial {trial}: kill at {delay:.2f}s running={was_running} ok={ok} left {stray}"
        )
        assert rebuilt.returncode == 0, f"{log[-1]}\n{rebuilt.stderr}"
        assert after_kill in (previous, current), f"{log[-1]}: a half-written site"
        assert not orphans, f"{log[-1]}: processes left behind {orphans}"
        survived += ok
        previous = current
    print(f"kill -9: {survived}/{TRIALS} trials survived ({killed} killed mid-build)")
    assert survived == TRIALS, "\n".join(line for line in log if "ok=False" in line)
    assert killed >= TRIALS // 2, "the delays missed the build; the trials proved little"
    frozen = runner.build("--frozen")  # every cache entry the killed builds touched is whole
    assert frozen.returncode == 0, frozen.stderr


def test_killed_build_leaves_no_compute_temp_folder(runner: Runner) -> None:
    write_files(runner.src, {"content/slow.md": post("Slow", cell="import time\ntime.sleep(30)")})
    process = runner.start()
    deadline = time.monotonic() + 30
    while not list(runner.tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert not wait_no_processes(runner.tag)
    write_files(runner.src, {"content/slow.md": post("Slow", cell="print('quick')")})
    assert runner.build().returncode == 0
    # The next build removes the killed build's TMPDIR/lessonpress-compute-* folder.
    assert list(runner.tmp.iterdir()) == []


def test_torn_cache_entry_is_detected_and_recomputed(runner: Runner) -> None:
    write_files(runner.src, small_site(1))
    assert runner.build().returncode == 0
    entries = sorted((runner.src / ".lessonpress" / "cache").glob("*.json"))
    assert len(entries) == 1
    whole = entries[0].read_bytes()
    site = digest(runner.out)
    for torn in (whole[: len(whole) // 2], whole[:-2] + b"X}"):
        entries[0].write_bytes(torn)
        frozen = runner.build("--frozen")
        assert frozen.returncode == 1, frozen.stderr
        assert "content/posts/computed.md" in frozen.stderr
        assert digest(runner.out) == site
        again = runner.build()
        assert again.returncode == 0, again.stderr
        assert (
            "content/posts/computed.md: warning: cache entry is corrupt; recomputing"
            in again.stderr
        )
        assert digest(runner.out) == site
        assert entries[0].read_bytes() == whole


def test_stale_cache_temp_files_are_removed(runner: Runner) -> None:
    write_files(runner.src, small_site(1))
    cache = runner.src / ".lessonpress" / "cache"
    cache.mkdir(parents=True)
    stale = cache / ".tmp-killed.json"
    stale.write_bytes(b"lessonpress-cache 1 half")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    assert runner.build().returncode == 0
    assert not stale.exists()


# --------------------------------------------------------------------------- two builds at once


def test_second_concurrent_build_is_refused_and_output_never_interleaved(runner: Runner) -> None:
    files = small_site(1)
    files["content/posts/slow.md"] = post("Slow", cell="import time\ntime.sleep(3)")
    write_files(runner.src, files)
    first = runner.start()
    lock = runner.src / ".lessonpress" / "build.lock"
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = runner.build(timeout=60)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 1, second.stderr
    assert f"another lessonpress build of this site is running (pid {first.pid})" in second.stderr
    built = digest(runner.out)
    assert runner.build().returncode == 0
    assert digest(runner.out) == built  # the first build's site is whole and deterministic


def test_two_sites_building_into_one_folder_do_not_interleave(runner: Runner) -> None:
    other = runner.scratch / "other"
    many = {f"content/posts/many-{i}.md": post(f"Many {i}", "word " * 3000) for i in range(30)}
    write_files(runner.src, many)
    write_files(other, {"content/posts/only.md": post("Only")})
    for _ in range(3):  # the write stages overlap often enough to have mixed the sites
        one, two = runner.start(), runner.start(src=other)
        results = [p.communicate(timeout=120) for p in (one, two)]
        assert (one.returncode, two.returncode) == (0, 0), results
        assert all("Traceback" not in err for _, err in results), results
        posts = {p.name for p in (runner.out / "posts").iterdir()}
        assert posts in ({"only"}, {f"many-{i}" for i in range(30)}), "the site mixes both"


# --------------------------------------------------------------------------- disk full


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[bool]:
    """A tmpfs of ``size`` at ``folder`` if we may mount one; yields whether we did."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_disk_full_while_writing_keeps_previous_site(runner: Runner) -> None:
    write_files(runner.src, small_site(1))
    disk = runner.scratch / "disk"
    with small_disk(disk, "3m") as mounted:
        if mounted:
            runner.out = disk / "out"
        assert runner.build().returncode == 0
        previous = digest(runner.out)
        big = os.urandom(4 * 2**20)  # more than the disk (or the file size limit) holds
        write_files(runner.src, {"static/video.bin": big, "content/posts/new.md": post("New")})
        if mounted:
            failed = runner.build()
            reason = "No space left on device"
        else:  # no tmpfs here: the kernel's file size limit fails the write the same way
            failed = runner.build(preexec=_file_size_limit(2**20))
            reason = "File too large"
        assert failed.returncode == 1, failed.stderr
        assert f"could not write the site: {reason}" in failed.stderr
        assert digest(runner.out) == previous
        (runner.src / "static" / "video.bin").unlink()
        again = runner.build()  # space again: the next build just works
        assert again.returncode == 0, again.stderr
        assert "posts/new/index.html" in digest(runner.out)


# --------------------------------------------------------------------------- hostile cells


def cell_site(cell: str) -> dict[str, str]:
    return {
        "content/posts/fine.md": post("Fine"),
        "content/posts/hostile.md": post("Hostile", cell=cell),
    }


def test_cell_children_are_killed_when_the_post_finishes(runner: Runner) -> None:
    cell = "import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])"
    write_files(runner.src, cell_site(cell))
    result = runner.build()
    assert result.returncode == 0, result.stderr
    assert (
        "content/posts/hostile.md:11: warning: cell left child processes running" in result.stderr
    )
    assert wait_no_processes(runner.tag) == []


@pytest.mark.parametrize(
    "escape",
    [
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], start_new_session=True)",
        "subprocess.Popen([sys.executable, '-c', 'import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(120)'])",
    ],
    ids=["new-session", "double-fork-daemon"],
)
def test_cell_children_that_leave_the_process_group_are_killed(runner: Runner, escape: str) -> None:
    write_files(
        runner.src, cell_site(f"import subprocess, sys\n{escape}\nimport time\ntime.sleep(0.5)")
    )
    result = runner.build()
    assert result.returncode == 0, result.stderr
    assert wait_no_processes(runner.tag, seconds=3) == []


def test_cell_writing_100_mb_is_bounded(runner: Runner) -> None:
    cell = "import os, sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\nos.write(1, b'y' * (1 << 20))\nprint('the end')"  # fmt: skip
    write_files(runner.src, cell_site(cell))
    started = time.monotonic()
    result = runner.build()
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    page = (runner.out / "posts" / "hostile" / "index.html").read_text(encoding="utf-8")
    assert "output truncated" in page
    assert len(page) < 2 * 2**20
    assert wait_no_processes(runner.tag) == []


def _data_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    return apply


def test_cell_allocating_until_out_of_memory_fails_only_its_post(runner: Runner) -> None:
    cell = "hog = []\nwhile True:\n    hog.append(bytearray(64 * 2**20))"
    write_files(runner.src, cell_site("print('fine')"))
    assert runner.build().returncode == 0
    previous = digest(runner.out)
    write_files(runner.src, cell_site(cell))
    # The worker's memory limit never exceeds the hard limit it inherits; 1 GB keeps this quick.
    result = runner.build(preexec=_data_limit(2**30))
    assert result.returncode == 1, result.stderr
    assert "content/posts/hostile.md:13: MemoryError" in result.stderr
    assert "    hog.append(bytearray(64 * 2**20))" in result.stderr
    assert digest(runner.out) == previous
    assert wait_no_processes(runner.tag) == []


def test_worker_killed_by_the_oom_killer_is_reported(runner: Runner) -> None:
    cell = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
    write_files(runner.src, cell_site(cell))
    result = runner.build()
    assert result.returncode == 1, result.stderr
    assert (
        "content/posts/hostile.md:11: worker died (signal 9 SIGKILL) while running this cell "
        "(out of memory?)" in result.stderr
    )
    assert wait_no_processes(runner.tag) == []


# --------------------------------------------------------------------------- Ctrl-C


def wait_until_locked(runner: Runner, process: subprocess.Popen[str]) -> None:
    """Until the build holds the site's lock: its code runs, its signal handlers are set.

    Before that it is an interpreter starting up, and a signal then is Python's to handle
    ("Fatal Python error: init_import_site", exit 1), not ours: no fixed delay is safe.
    """
    lock = runner.src / ".lessonpress" / "build.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if lock.read_text().strip() == str(process.pid):
                return
        time.sleep(0.01)
    pytest.fail("the build never took its lock")


@pytest.mark.parametrize("moment", ["started", "computing"])
def test_ctrl_c_ends_workers_removes_temp_files_and_exits_130(runner: Runner, moment: str) -> None:
    write_files(runner.src, small_site(1))
    assert runner.build().returncode == 0
    previous = digest(runner.out)
    files: Mapping[str, str] = {
        f"content/posts/slow-{i}.md": post(f"Slow {i}", cell="import time\ntime.sleep(60)")
        for i in range(3)
    }
    write_files(runner.src, files)
    process = runner.start("-j", "2")
    if moment == "computing":  # wait for the workers (the zygote plus two) to be running
        deadline = time.monotonic() + 30
        while len(tagged_processes(runner.tag)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        wait_until_locked(runner, process)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().endswith("interrupted")
    assert wait_no_processes(runner.tag) == []
    assert runner.leftovers() == []
    assert digest(runner.out) == previous


# --------------------------------------------------------------------------- every way a build is stopped

# A cell that starts a process which would outlive it: the build must end it however it stops.
LINGERING = (
    "import subprocess, sys, time\n"
    "subprocess.Popen(['sleep', '300'])\n"
    "subprocess.Popen(['sleep', '301'], start_new_session=True)\n"
    'daemon = \'import os\\nif os.fork() == 0:\\n    os.setsid()\\n    os.execvp("sleep", ["sleep", "302"])\'\n'
    "subprocess.Popen([sys.executable, '-c', daemon]).wait()\n"  # a double-forked daemon
    "time.sleep(60)"
)
SLEEPS = 3  # the processes LINGERING leaves running


def _start_lingering_build(
    runner: Runner, prefix: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    write_files(runner.src, small_site(1))
    assert runner.build().returncode == 0
    previous = digest(runner.out)
    write_files(runner.src, {"content/posts/lingering.md": post("Lingering", cell=LINGERING)})
    process = runner.start(prefix=prefix)
    _wait_for_sleeps(runner, SLEEPS)
    return process, previous


def _wait_for_sleeps(runner: Runner, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len([p for p in tagged_processes(runner.tag) if _comm(p) == "sleep"]) >= count:
            return
        time.sleep(0.05)
    pytest.fail("the cell's processes never started")


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@pytest.mark.parametrize(
    ("signum", "code", "to_group"),
    [
        (signal.SIGTERM, 143, False),  # systemd, CI cancellation, kill
        (signal.SIGTERM, 143, True),  # `timeout -s TERM`: the whole process group
        (signal.SIGHUP, 129, True),  # the terminal went away
        (signal.SIGINT, 130, True),  # Ctrl-C
    ],
    ids=["term", "term-group", "hup", "int"],
)
def test_a_signalled_build_ends_every_process_its_cells_started(
    runner: Runner, signum: int, code: int, to_group: bool
) -> None:
    process, previous = _start_lingering_build(runner)
    if to_group:
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    said = (
        "interrupted" if signum == signal.SIGINT else f"interrupted ({signal.Signals(signum).name})"
    )
    assert err.splitlines() == [said]  # one line, no traceback
    assert wait_no_processes(runner.tag) == []
    assert runner.leftovers() == []
    assert digest(runner.out) == previous


def test_timeout_stopping_a_build_ends_every_process_its_cells_started(runner: Runner) -> None:
    """`timeout` sends its signal to the build, then to the build's whole group: the second
    must not cut the first one's clean-up short."""
    process, previous = _start_lingering_build(runner, prefix=("timeout", "-s", "TERM", "600"))
    os.kill(process.pid, signal.SIGTERM)  # as when its time is up, without waiting 600 s
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert err.splitlines() == ["interrupted (SIGTERM)"]
    assert wait_no_processes(runner.tag) == []
    assert runner.leftovers() == []
    assert digest(runner.out) == previous


def test_a_build_killed_with_9_ends_every_process_its_cells_started(runner: Runner) -> None:
    process, previous = _start_lingering_build(runner)
    os.kill(process.pid, signal.SIGKILL)  # no handler runs: the zygote sees its socket close
    process.communicate(timeout=30)
    assert wait_no_processes(runner.tag) == []
    assert digest(runner.out) == previous


def test_a_build_whose_parent_dies_ends_every_process_its_cells_started(runner: Runner) -> None:
    write_files(runner.src, small_site(1))
    assert runner.build().returncode == 0
    previous = digest(runner.out)
    write_files(runner.src, {"content/posts/lingering.md": post("Lingering", cell=LINGERING)})
    # A parent (a shell, a supervisor) that starts the build and then dies without a word.
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time\n"
         "subprocess.Popen(sys.argv[1:])\ntime.sleep(600)", *runner.command()],
        cwd=runner.scratch, env=runner.env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_sleeps(runner, SLEEPS)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert wait_no_processes(runner.tag, seconds=30) == []
    assert runner.leftovers() == []
    assert digest(runner.out) == previous


def _render_workers(runner: Runner, build: int) -> list[int]:
    """Tagged processes other than the build: with no cells, its forked render workers."""
    return [pid for pid in tagged_processes(runner.tag) if pid != build]


@pytest.mark.parametrize(
    ("signum", "said"),
    [
        (signal.SIGKILL, None),
        (signal.SIGINT, "interrupted"),
        (signal.SIGTERM, "interrupted (SIGTERM)"),
    ],
    ids=["kill-9", "int", "term"],
)
def test_a_build_stopped_while_rendering_leaves_no_render_worker(
    runner: Runner, signum: int, said: str | None
) -> None:
    write_files(runner.src, small_site(1))
    assert runner.build().returncode == 0
    previous = digest(runner.out)
    # Enough pages that they are rendered on every core (generator.forkmap).
    many = {f"content/posts/many-{i}.md": post(f"Many {i}", "word " * 3000) for i in range(60)}
    write_files(runner.src, many)
    process = runner.start("-j", "2")
    deadline = time.monotonic() + 60
    while not _render_workers(runner, process.pid) and time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before it forked its render workers"
        time.sleep(0.01)
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)  # Ctrl-C reaches the workers too
    else:
        os.kill(process.pid, signum)
    _, err = process.communicate(timeout=60)
    if said is not None:
        assert (process.returncode, err.splitlines()) == (128 + signum, [said])
        assert runner.leftovers() == []
    assert wait_no_processes(runner.tag) == []
    assert digest(runner.out) == previous


SWALLOWED = """
import os, signal, time
from generator.cli import Stopped, _StopSignals
_StopSignals.install()
class Dropped:
    def __del__(self):  # Python cannot raise here: it prints "Exception ignored" and goes on
        os.kill(os.getpid(), signal.SIGTERM)
try:
    Dropped()
    time.sleep(30)
    print("the stop was lost")
except Stopped as stop:
    print("stopped", stop.signum)
"""


def test_a_stop_signal_python_swallows_is_raised_again() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SWALLOWED],
        env=generator_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.stdout, result.stderr) == (f"stopped {signal.SIGTERM}\n", "")
