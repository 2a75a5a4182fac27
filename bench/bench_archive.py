"""Indexing and question cost at archive scale, through the real `newsqa` command line.

    python -m bench.bench_archive [--posts 15000] [--queries 200] [--workdir bench/out/archive-15000]
                                  [--skip-baseline] [--kill-after SECONDS]

Generates a synthetic RSSHub archive (bench.archive; reused when already there with the same
parameters), then, each in its own `newsqa` process, timed (wall clock) and with its peak RSS
(wait4's ru_maxrss): a fresh `newsqa index`; a second one with nothing changed; an index killed
(SIGKILL) part-way, a search on what it left, and the rerun to completion, whose passages must
equal the uninterrupted build's; five one-question `newsqa search` processes; and `--queries`
questions through one `newsqa search` process on standard input, one at a time. Then the plain
rank-bm25 + jieba script (bench.baseline_bm25) on the same archive. Prints a table and writes
bench/out/archive-<posts>.json. NEWSQA_INDEX_DIR is ignored (--index is always passed); the rest
of the environment is passed through.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from bench.archive import is_current, load_questions, read_meta

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
NEWSQA = REPO / ".venv" / "bin" / "newsqa"
TIME = Path("/usr/bin/time")
SUMMARY = re.compile(
    r"indexed (\d+) articles, (\d+) passages(?: \(([^)]*)\))?"
    r"(?:; this run: (\d+) added, (\d+) updated, (\d+) removed, (\d+) unchanged)?"
)
PROGRESS = re.compile(r"indexing:[^\r\n]*?(\d+)/(\d+)")
REPORT_LINES = ("skipped", "duplicate", "warning")
ONE_SHOTS = 5
BUILD_TIMEOUT = 4 * 3600.0
QUERY_TIMEOUT = 300.0  # seconds one answer may take before the stream is given up
Result = dict[str, Any]


# ---------------------------------------------------------------- child processes


class TreeMemory(threading.Thread):
    """Samples the memory of a process and all its descendants (worker pools) every `interval`
    seconds: peaks of the summed PSS (shared pages split between the processes sharing them),
    of the summed RSS, and of the number of processes."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_pss_mb = self.peak_rss_mb = 0.0
        self.processes = 0
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            self.sample()
            if self.done.wait(self.interval):
                return

    def sample(self) -> None:
        pids = descendants(self.pid)
        usage = [process_memory_kb(pid) for pid in pids]
        self.peak_rss_mb = max(self.peak_rss_mb, sum(rss for rss, _ in usage) / 1024)
        self.peak_pss_mb = max(self.peak_pss_mb, sum(pss for _, pss in usage) / 1024)
        self.processes = max(self.processes, sum(1 for rss, _ in usage if rss))

    def stop(self) -> Result:
        self.done.set()
        self.join()
        return {"tree_pss_mb": self.peak_pss_mb, "tree_rss_mb": self.peak_rss_mb, "processes": self.processes}


def descendants(root: int) -> list[int]:
    """root and every process below it, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def process_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB from /proc/PID/smaps_rollup; (0, 0) once it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = dict(re.findall(r"^(Rss|Pss):\s+(\d+) kB", text, re.M))
    return int(values.get("Rss", 0)), int(values.get("Pss", 0))


@dataclass
class ChildRun:
    """One finished child process: exit status, wall seconds, peak memory and its output."""

    command: list[str]
    returncode: int
    seconds: float
    peak_rss_mb: float | None  # of the largest single process (exact, from /usr/bin/time)
    stdout: str = ""
    stderr: str = ""
    killed: bool = False
    tree: Result = field(default_factory=dict)  # sampled peaks over the process tree

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def brief(self) -> Result:
        return {
            "returncode": self.returncode,
            "seconds": self.seconds,
            "peak_rss_mb": self.peak_rss_mb,
            **self.tree,
            "killed": self.killed,
        }


def child_env() -> dict[str, str]:
    """The environment, without NEWSQA_INDEX_DIR: the index is always named with --index."""
    env = dict(os.environ)
    env.pop("NEWSQA_INDEX_DIR", None)
    return env


def measured(command: list[str], rss_file: Path) -> list[str]:
    """The command under /usr/bin/time, which records its peak RSS: a child's ru_maxrss as seen
    from here would include this process's own peak (Linux keeps it across vfork and exec)."""
    return [str(TIME), "-f", "%M", "-o", str(rss_file), *command] if TIME.exists() else command


def read_rss_mb(rss_file: Path, fallback: float) -> float | None:
    """Peak RSS written by /usr/bin/time (KiB, last line), else the fallback; None if killed first."""
    if not TIME.exists():
        return fallback
    try:
        return int(rss_file.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        return None


def reap(proc: subprocess.Popen, start: float, kill_after: float | None, timeout: float) -> tuple[int, float, bool]:
    """Wait for the child (SIGKILL its process group after kill_after or timeout seconds);
    (exit status, ru_maxrss MB, killed)."""
    killed = False
    limit = min(kill_after if kill_after is not None else timeout, timeout)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if not killed and time.perf_counter() - start >= limit:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, killed


def run_child(
    command: list[str], log: Path, kill_after: float | None = None, timeout: float = BUILD_TIMEOUT
) -> ChildRun:
    """Run a command from the repository root, its output kept in log.out and log.err."""
    out_path, err_path, rss_path = log.with_suffix(".out"), log.with_suffix(".err"), log.with_suffix(".rss")
    rss_path.unlink(missing_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            measured(command, rss_path),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=REPO,
            env=child_env(),
            start_new_session=True,
        )
        sampler = TreeMemory(proc.pid)
        sampler.start()
        code, rss, killed = reap(proc, start, kill_after, timeout)
        tree = sampler.stop()
        seconds = time.perf_counter() - start
    rss_mb = read_rss_mb(rss_path, rss)
    return ChildRun(command, code, seconds, rss_mb, read_text(out_path), read_text(err_path), killed, tree)


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def report_failure(what: str, run: ChildRun) -> None:
    """Print a failed call's exit status and the end of its standard error."""
    tail = "\n".join(line.split("\r")[-1] for line in run.stderr.strip().splitlines()[-30:])
    print(f"  ! {what} failed: exit {run.returncode} after {run.seconds:.1f} s\n{tail}", flush=True)


class LineReader:
    """Reads lines from a pipe with a timeout, without Python's buffering in the way."""

    def __init__(self, stream: BinaryIO) -> None:
        self.fd = stream.fileno()
        self.buffer = b""
        self.lines: list[str] = []  # every line read, kept for the log

    def readline(self, timeout: float) -> str | None:
        """The next line, or None at end of output; TimeoutError after timeout seconds."""
        deadline = time.perf_counter() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.lines.append(line.decode("utf-8", errors="replace"))
        return self.lines[-1]


# ---------------------------------------------------------------- newsqa commands


def index_command(newsqa: Path, archive: Path, index: Path) -> list[str]:
    return [str(newsqa), "index", "--corpus", str(archive), "--index", str(index)]


def search_command(newsqa: Path, archive: Path, index: Path, question: str | None = None) -> list[str]:
    command = [str(newsqa), "search", "--json", "--corpus", str(archive), "--index", str(index)]
    return [*command, question] if question else command


def parse_index_output(run: ChildRun) -> Result:
    """The summary line of `newsqa index` and the counts of its other report lines."""
    match = SUMMARY.search(run.stdout)
    lines = run.stdout.splitlines()
    result: Result = {kind: sum(line.startswith(f"{kind}:") for line in lines) for kind in REPORT_LINES}
    result["summary"] = match.group(0) if match else None
    if match:
        result["articles"], result["passages"] = int(match.group(1)), int(match.group(2))
        result["span"] = match.group(3)
        if match.group(4) is not None:
            keys = ("added", "updated", "removed", "unchanged")
            result.update({key: int(match.group(4 + i)) for i, key in enumerate(keys)})
    result["files_read"] = progress_files(run.stderr)
    return result


def progress_files(stderr: str) -> list[int] | None:
    """[done, total] of the last progress bar `newsqa` drew on standard error, if any."""
    matches = PROGRESS.findall(stderr)
    return [int(matches[-1][0]), int(matches[-1][1])] if matches else None


def parse_hits(line: str) -> int | None:
    """Number of hits in one `search --json` output line; None if the line is not a result."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return len(record["hits"]) if isinstance(record, dict) and "hits" in record else None


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# ---------------------------------------------------------------- the measurements


@dataclass
class Bench:
    """Paths and settings shared by the steps."""

    newsqa: Path
    archive: Path
    workdir: Path
    questions: list[str]
    queries: int
    results: Result = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def index_run(self, index: Path, name: str, kill_after: float | None = None) -> tuple[ChildRun, Result]:
        run = run_child(index_command(self.newsqa, self.archive, index), self.logs / name, kill_after)
        parsed = parse_index_output(run)
        if not run.ok and not run.killed:
            report_failure(f"newsqa index ({name})", run)
        return run, parsed


def step_build(bench: Bench, index: Path) -> Result:
    """A fresh `newsqa index`."""
    shutil.rmtree(index, ignore_errors=True)
    run, parsed = bench.index_run(index, "build")
    result = {**run.brief(), **parsed, "index_mb": dir_size_mb(index) if index.exists() else None}
    print(
        f"  build: {run.seconds:.1f} s, peak PSS {_num(run.tree.get('tree_pss_mb'), 0)} MB over "
        f"{run.tree.get('processes')} processes, largest RSS {_num(run.peak_rss_mb, 0)} MB; {parsed.get('summary')}",
        flush=True,
    )
    return result


def step_noop(bench: Bench, index: Path) -> Result:
    """`newsqa index` again with nothing changed."""
    run, parsed = bench.index_run(index, "refresh")
    print(
        f"  no-op refresh: {run.seconds:.2f} s, peak RSS {_num(run.peak_rss_mb, 0)} MB; {parsed.get('summary')}",
        flush=True,
    )
    return {**run.brief(), **parsed}


def step_resume(bench: Bench, index: Path, kill_after: float, expected: int | None) -> Result:
    """Kill a fresh build part-way, search what it left, rerun it to completion, compare passages."""
    shutil.rmtree(index, ignore_errors=True)
    killed, killed_parsed = bench.index_run(index, "resume-killed", kill_after=kill_after)
    print(
        f"  killed after {killed.seconds:.1f} s (killed: {killed.killed}), files read {killed_parsed['files_read']}",
        flush=True,
    )
    command = search_command(bench.newsqa, bench.archive, index, bench.questions[-1])
    search = run_child(command, bench.logs / "resume-search")
    hits = parse_hits(search.stdout.strip().splitlines()[-1]) if search.stdout.strip() else None
    if not search.ok:
        report_failure("newsqa search after the kill", search)
    print(
        f"  search after the kill: exit {search.returncode}, {search.seconds:.1f} s, {hits} hits, "
        f"files it read {progress_files(search.stderr)}",
        flush=True,
    )
    rerun, parsed = bench.index_run(index, "resume-rerun")
    passages = parsed.get("passages")
    print(
        f"  rerun: {rerun.seconds:.1f} s; {parsed.get('summary')}\n"
        f"  passages: resumed {passages}, uninterrupted {expected}, equal: {passages == expected}",
        flush=True,
    )
    return {
        "kill_after_s": kill_after,
        "killed": {**killed.brief(), **killed_parsed},
        "search": {**search.brief(), "hits": hits, "files_read": progress_files(search.stderr)},
        "rerun": {**rerun.brief(), **parsed},
        "passages_equal": passages is not None and passages == expected,
    }


def step_one_shots(bench: Bench, index: Path, tag: str = "") -> Result:
    """Five one-question `newsqa search` processes, each on its own question."""
    runs, hits = [], []
    for number, question in enumerate(bench.questions[-1 - ONE_SHOTS : -1]):
        log = bench.logs / f"{tag}one-shot-{number}"
        run = run_child(search_command(bench.newsqa, bench.archive, index, question), log)
        if not run.ok:
            report_failure("newsqa search (one question)", run)
            continue
        runs.append(run)
        hits.append(parse_hits(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else None)
    seconds = [run.seconds for run in runs]
    result = {
        "runs": [run.brief() for run in runs],
        "hits": hits,
        "median_s": statistics.median(seconds) if seconds else None,
        "max_s": max(seconds, default=None),
        "peak_rss_mb": max((run.peak_rss_mb or 0 for run in runs), default=None),
        "tree_pss_mb": max((run.tree.get("tree_pss_mb", 0) for run in runs), default=None),
        "processes": max((run.tree.get("processes", 0) for run in runs), default=None),
    }
    if seconds:
        print(f"  one question per process: median {result['median_s']:.2f} s, max {result['max_s']:.2f} s", flush=True)
    return result


def step_embedded(bench: Bench, index: Path) -> Result:
    """The question path once every passage has a stored vector (search by meaning over the whole
    archive, no passage embedded at question time): vectors filled, then one-shots and the stream."""
    fill = run_child([sys.executable, "-m", "bench.fill_vectors", str(index)], bench.logs / "fill-vectors")
    if not fill.ok:
        report_failure("bench.fill_vectors", fill)
        return {"fill": fill.brief()}
    print(f"  {fill.stdout.strip()}", flush=True)
    return {
        "fill": fill.brief(),
        "vectors_mb": dir_size_mb(index / "vectors"),
        "one_shots": step_one_shots(bench, index, "embedded-"),
        "stream": step_stream(bench, index, "embedded-"),
    }


def _ask(proc: subprocess.Popen, reader: LineReader, question: str) -> tuple[float, int | None, list[str]]:
    """Send one question, wait for its JSON line: (seconds, hits, other lines printed meanwhile)."""
    assert proc.stdin is not None
    start = time.perf_counter()
    proc.stdin.write((question + "\n").encode("utf-8"))
    proc.stdin.flush()
    other = []
    while True:
        line = reader.readline(QUERY_TIMEOUT)
        if line is None:
            raise EOFError("newsqa search ended before answering")
        hits = parse_hits(line)
        if hits is not None:
            return time.perf_counter() - start, hits, other
        other.append(line)


def _ask_all(proc: subprocess.Popen, warmup: str, questions: list[str]) -> Result:
    """The warm-up question (its time includes start-up), then each question in turn."""
    reader = LineReader(proc.stdout)  # type: ignore[arg-type]
    out: Result = {"times_ms": [], "hits": [], "other": [], "first_s": None, "problem": None}
    try:
        out["first_s"], _, out["other"] = _ask(proc, reader, warmup)
        for question in questions:
            seconds, count, lines = _ask(proc, reader, question)
            out["times_ms"].append(seconds * 1000)
            out["hits"].append(count)
            out["other"] += lines
    except (TimeoutError, EOFError, BrokenPipeError) as error:
        out["problem"] = str(error)
    out["stdout"] = reader.lines
    return out


def step_stream(bench: Bench, index: Path, tag: str = "") -> Result:
    """`--queries` questions through one `newsqa search` process, one line at a time."""
    err_path, rss_path = bench.logs / f"{tag}stream.err", bench.logs / f"{tag}stream.rss"
    rss_path.unlink(missing_ok=True)
    command = measured(search_command(bench.newsqa, bench.archive, index), rss_path)
    with err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=REPO,
            env=child_env(),
            bufsize=0,
            start_new_session=True,
        )
        sampler = TreeMemory(proc.pid)
        sampler.start()
        asked = _ask_all(proc, bench.questions[-ONE_SHOTS - 2], bench.questions[: bench.queries])
        proc.stdin.close()  # type: ignore[union-attr]
        code, rss, _ = reap(proc, time.perf_counter(), None, QUERY_TIMEOUT)  # the time it takes to exit
        tree = sampler.stop()
    (bench.logs / f"{tag}stream.out").write_text("".join(line + "\n" for line in asked["stdout"]), encoding="utf-8")
    times, first_s = asked["times_ms"], asked["first_s"]
    result = {**_stream_result(asked, code, read_rss_mb(rss_path, rss), time.perf_counter() - start), **tree}
    if asked["problem"] or code != 0:
        result["problem"] = asked["problem"]
        print(
            f"  ! questions through one process: {asked['problem']}, exit {code}\n{read_text(err_path)[-3000:]}",
            flush=True,
        )
    if times:
        print(
            f"  {len(times)} questions through one process: p50 {result['p50_ms']:.1f} ms, p99 "
            f"{result['p99_ms']:.1f} ms; first answer after start {first_s:.2f} s",
            flush=True,
        )
    return result


def _percentile(values: list[float], share: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    at = share * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def _stream_result(asked: Result, code: int, rss: float | None, seconds: float) -> Result:
    times = asked["times_ms"]
    return {
        "questions": len(times),
        "p50_ms": _percentile(times, 0.5),
        "p99_ms": _percentile(times, 0.99),
        "max_ms": max(times, default=None),
        "mean_ms": statistics.fmean(times) if times else None,
        "first_answer_s": asked["first_s"],
        "no_answer": sum(1 for count in asked["hits"] if count == 0),
        "other_stdout_lines": asked["other"][:20],
        "returncode": code,
        "peak_rss_mb": rss,
        "seconds": seconds,
    }


def step_baseline(bench: Bench) -> Result | None:
    """The rank-bm25 + jieba script on the same archive, in its own process."""
    out = bench.workdir / "baseline.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "bench.baseline_bm25",
        str(bench.archive),
        "--queries",
        str(bench.queries),
        "--json",
        str(out),
    ]
    run = run_child(command, bench.logs / "baseline")
    if not run.ok or not out.exists():
        report_failure("bench.baseline_bm25", run)
        return None
    result = {**json.loads(out.read_text()), "wall_s": run.seconds, "child": run.brief()}
    print(f"  {run.stdout.strip()}", flush=True)
    return result


# ---------------------------------------------------------------- the table


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _files(progress: list[int] | None) -> str:
    """ "done/total files" from a progress bar, "no files" when none was drawn."""
    return f"{progress[0]}/{progress[1]} files" if progress else "no files"


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.3g}x" if ours is not None and theirs else ""


Row = tuple[str, str, str, str]


def _compare(metric: str, ours: float | None, theirs: float | None, digits: int = 1) -> Row:
    """A row of two figures and their ratio."""
    return metric, _num(ours, digits), _num(theirs, digits), _ratio(ours, theirs)


def _memory_rows(name: str, ours: Result, script_pss: float | None, script_rss: float | None) -> list[Row]:
    """Peak memory of a newsqa step, as summed PSS over its processes and as its largest process's RSS."""
    processes = ours.get("processes")
    return [
        _compare(f"peak memory MB, {name} (PSS, {processes} processes)", ours.get("tree_pss_mb"), script_pss, 0),
        _compare("  largest process RSS MB", ours.get("peak_rss_mb"), script_rss, 0),
    ]


def _resume_rows(resume: Result, build: Result) -> list[Row]:
    killed, search, rerun = resume.get("killed", {}), resume.get("search", {}), resume.get("rerun", {})
    left = (
        f"exit {search.get('returncode', 'n/a')}, {_num(search.get('seconds'))} s, {search.get('hits')} hits; "
        f"it read {_files(search.get('files_read'))}"
    )
    same = "equal" if resume.get("passages_equal") else "DIFFERENT"
    return [
        ("resume: killed after s", f"{_num(killed.get('seconds'))} ({_files(killed.get('files_read'))} read)", "", ""),
        ("  search on what was left", left, "", ""),
        ("  rerun to completion s", _num(rerun.get("seconds")), "", ""),
        ("  passages resumed / uninterrupted", f"{rerun.get('passages')} / {build.get('passages')} ({same})", "", ""),
    ]


def table_rows(results: Result) -> list[Row]:
    """(metric, newsqa, script, ratio) rows."""
    build, noop, resume = results.get("build", {}), results.get("noop", {}), results.get("resume", {})
    one, stream, base = results.get("one_shots", {}), results.get("stream", {}), results.get("baseline") or {}
    base_pss = base.get("child", {}).get("tree_pss_mb")
    one_question_script = base["total_s"] + base["query_p50_ms"] / 1000 if base.get("query_p50_ms") else None
    phases = f"read+parse {_num(base.get('read_parse_s'))}, jieba {_num(base.get('tokenize_s'))}, " if base else ""
    phases += f"BM25Okapi {_num(base.get('build_s'))}" if base else ""
    indexed = f"{build.get('articles', 'n/a')} / {build.get('passages', 'n/a')}"
    return [
        ("articles / passages indexed", indexed, f"{base.get('posts', 'n/a')} / {base.get('paragraphs', 'n/a')}", ""),
        _compare("build s (fresh index)", build.get("seconds"), base.get("total_s")),
        ("  script phases s", "", phases, ""),
        *_memory_rows("build", build, base_pss, base.get("peak_rss_mb_build")),
        ("index on disk MB", _num(build.get("index_mb")), "in memory", ""),
        _compare("refresh, nothing changed s (script: rebuild)", noop.get("seconds"), base.get("total_s"), 2),
        *_resume_rows(resume, build),
        *_question_rows("", one, stream, base, one_question_script),
        _compare("  first answer after start s", stream.get("first_answer_s"), one_question_script, 2),
        ("  no-answer replies", f"{stream.get('no_answer', 'n/a')} / {stream.get('questions', 0)}", "never", ""),
        *_memory_rows("one-question process", one, None, None),
        *_memory_rows("questions process", stream, base_pss, base.get("peak_rss_mb")),
        *_embedded_rows(results.get("embedded") or {}, base, one_question_script),
    ]


def _embedded_rows(embedded: Result, base: Result, one_question_script: float | None) -> list[Row]:
    if not embedded.get("stream"):
        return []
    return [
        ("every passage with a vector (synthetic): vector store MB", _num(embedded.get("vectors_mb")), "", ""),
        *_question_rows("  ", embedded["one_shots"], embedded["stream"], base, one_question_script),
        *_memory_rows("questions process, every passage with a vector", embedded["stream"], None, None),
    ]


def _question_rows(indent: str, one: Result, stream: Result, base: Result,
                   one_question_script: float | None) -> list[Row]:  # fmt: skip
    """A one-question process (median / max), then questions through one process (p50, p99)."""
    return [
        (
            f"{indent}one question, new process s (median / max)",
            f"{_num(one.get('median_s'), 2)} / {_num(one.get('max_s'), 2)}",
            _num(one_question_script, 2),
            _ratio(one.get("median_s"), one_question_script),
        ),
        _compare(
            f"{indent}questions in one process p50 ms (n={stream.get('questions', 0)})",
            stream.get("p50_ms"),
            base.get("query_p50_ms"),
        ),
        _compare(f"{indent}  p99 ms", stream.get("p99_ms"), base.get("query_p99_ms")),
    ]


def format_table(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("metric", "newsqa", "rank-bm25 script", "ratio")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------- the run


def machine() -> Result:
    """Where and on what code the figures were taken."""
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "retrieval", "bot"], capture_output=True, text=True)
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 2**20, 1),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "commit": head,
        "uncommitted_in_retrieval_bot": len(dirty.stdout.splitlines()),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def prepare_archive(archive: Path, posts: int, seed: int, logs: Path) -> Result:
    """Generate the archive (in its own process) unless it is already there with the same parameters."""
    result: Result = {}
    if is_current(archive, posts, seed):
        print(f"archive: reusing {archive}", flush=True)
    else:
        command = [
            sys.executable,
            "-m",
            "bench.archive",
            "--posts",
            str(posts),
            "--out",
            str(archive),
            "--seed",
            str(seed),
        ]
        run = run_child(command, logs / "archive")
        if not run.ok:
            report_failure("bench.archive", run)
            raise SystemExit(1)
        print(f"archive: {run.stdout.strip()}; peak RSS {_num(run.peak_rss_mb, 0)} MB", flush=True)
        result["generation"] = run.brief()
    meta = read_meta(archive) or {}
    return {**result, **{key: value for key, value in meta.items() if key != "phrases"}}


class LoadWatch(threading.Thread):
    """The 1-minute load average every few seconds: the machine may be shared with other work."""

    def __init__(self, interval: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.interval, self.samples, self.done = interval, [os.getloadavg()[0]], threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> Result:
        self.done.set()
        self.join()
        return {"load_max": max(self.samples), "load_mean": statistics.fmean(self.samples)}


def run(args: argparse.Namespace) -> Result:
    watch = LoadWatch()
    watch.start()
    workdir = args.workdir or OUT_DIR / f"archive-{args.posts}"
    archive = workdir / "archive"
    results: Result = {"machine": machine(), "parameters": {**vars(args), "workdir": str(workdir)}}
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    results["archive"] = prepare_archive(archive, args.posts, args.seed, workdir / "logs")
    questions = load_questions(archive, args.queries + ONE_SHOTS + 2)
    bench = Bench(args.newsqa, archive, workdir, questions, args.queries)
    index = workdir / "index"
    print("newsqa index (fresh):", flush=True)
    results["build"] = step_build(bench, index)
    results["noop"] = step_noop(bench, index)
    print("one-question processes:", flush=True)
    results["one_shots"] = step_one_shots(bench, index)
    print("questions through one process:", flush=True)
    results["stream"] = step_stream(bench, index)
    if not args.skip_embedded:
        print("every passage with a stored vector (synthetic: bench.fill_vectors):", flush=True)
        results["embedded"] = step_embedded(bench, index)
    build_s = results["build"]["seconds"] if results["build"]["returncode"] == 0 else 25.0
    kill_after = args.kill_after if args.kill_after is not None else 0.4 * build_s
    print(f"resume check (kill after {kill_after:.1f} s):", flush=True)
    results["resume"] = step_resume(bench, workdir / "index-resume", kill_after, results["build"].get("passages"))
    if not args.skip_baseline:
        print("rank-bm25 + jieba script:", flush=True)
        results["baseline"] = step_baseline(bench)
    results["machine"]["load_average_end"] = os.getloadavg()
    results["machine"].update(watch.stop())
    results["table"] = table_rows(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="default: bench/out/archive-<posts>")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-embedded", action="store_true", help="skip the questions on a fully embedded index")
    parser.add_argument("--kill-after", type=float, help="seconds (default: 40%% of the full build's time)")
    parser.add_argument("--newsqa", type=Path, default=NEWSQA, help="the newsqa executable (default: .venv's)")
    args = parser.parse_args(argv)
    if not args.newsqa.exists():
        print(f"no newsqa executable at {args.newsqa}", file=sys.stderr)
        return 1
    results = run(args)
    m, a = results["machine"], results["archive"]
    print(
        f"\n{format_table(results['table'])}\n"
        f"ratio = newsqa / script. archive: {a.get('posts')} posts, {a.get('paragraphs')} paragraphs, "
        f"{a.get('bytes', 0) / 2**20:.0f} MB; machine: {m['cores']} cores, {m['memory_gb']} GB, "
        f"Python {m['python']}, "
        f"commit {m['commit']} ({m['uncommitted_in_retrieval_bot']} uncommitted files in retrieval/ bot/), "
        f"load {m['load_average'][0]:.2f} at start, {m['load_average_end'][0]:.2f} at end, "
        f"{m['load_mean']:.2f} on average, {m['load_max']:.2f} at most"
    )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"archive-{args.posts}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
