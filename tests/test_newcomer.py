"""A newcomer's first hour (issue 12): /start examples from the archive, the terminal chat,
`newsqa ask`, configuration errors in one line, --help and --version, the starting heartbeat."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from bot import cli, health
from bot.conversation import Conversation, Incoming, Question, Reply
from bot.examples import archive_examples, question_from_title
from bot.local_chat import CLEAR_LINE, SEARCHING, ask_once, run_chat
from bot.render_text import TextRenderer
from bot.settings import Settings
from retrieval.engine import MAX_QUESTION_CHARS, Engine
from tests.conftest import ARCHIVE_SAMPLE, BUNDLED_CORPUS, REPOSITORY, copy_corpus

NEWER_POST = REPOSITORY / "eval" / "data" / "archive2" / "posts" / "c047_cncf-spiffe-spire-graduation.md"
TOKEN = "123456789:AAEtestTOKENtestTOKENtestTOKEN12345"


def settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def newsqa(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli ...` as a user runs it, in `cwd` (its own .env, if any), caches in cwd."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("NEWSQA_", "TELEGRAM_"))}
    environment |= {"PYTHONPATH": str(REPOSITORY), "XDG_CACHE_HOME": str(cwd / "cache"),
                    "NEWSQA_INDEX_DIR": str(cwd / "index"), **env}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, env=environment, cwd=cwd)  # fmt: skip


def start_examples(text: str) -> list[str]:
    return re.findall(r"^• (.+)$", text, re.MULTILINE)


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine over the 25 archive posts alone (not the bundled corpus)."""
    root = tmp_path_factory.mktemp("sample")
    engine = Engine(copy_corpus(root / "corpus", ARCHIVE_SAMPLE), root / "index")
    yield engine
    engine.close()


# ---------------------------------------------------------------------- /start examples
def test_start_examples_on_another_archive_are_all_answered(sample_engine: Engine) -> None:
    chat = Conversation(sample_engine, settings(), TextRenderer())
    first = chat.respond(Incoming(1, 1, "/start"))
    assert first is not None
    examples = start_examples(first.text)
    assert len(examples) == 2 and "月浦镇" not in first.text and "4月6日上海" not in first.text
    for example in examples:
        answer = sample_engine.answer(example)
        assert answer.found, example
    # Computed once: the next /start is answered at once, without a search.
    again = chat.decide(Incoming(1, 1, "/start"))
    assert isinstance(again, Reply) and start_examples(again.text) == examples


def test_start_examples_follow_a_refresh(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", ARCHIVE_SAMPLE)
    engine = Engine(corpus, tmp_path / "index")
    try:
        chat = Conversation(engine, settings(), TextRenderer())
        before = chat.examples()
        shutil.copy2(NEWER_POST, corpus / NEWER_POST.name)  # 2022-09-25: newer than every sample post
        engine.refresh()
        assert chat.examples(wait=False) is None  # stale: recomputed off the event loop
        assert chat.decide(Incoming(1, 1, "/start")) == Question("", "start")
        after = chat.examples()
        assert after != before and after[0] == "CNCF宣布SPIFFE与SPIRE项目正式毕业是怎么回事？"
        assert engine.answer(after[0]).found
    finally:
        engine.close()


def test_configured_examples_win_and_need_no_search(sample_engine: Engine) -> None:
    chat = Conversation(sample_engine, settings(NEWSQA_EXAMPLE_QUESTIONS="问题一|问题二"), TextRenderer())
    reply = chat.decide(Incoming(1, 1, "/start"))
    assert isinstance(reply, Reply) and start_examples(reply.text) == ["问题一", "问题二"]


@pytest.mark.parametrize(
    ("title", "question"),
    [
        ("上海：采取更坚决果断行动，动员一切力量", "采取更坚决果断行动是怎么回事？"),
        ("14亿！东阳光投建年产5万吨磷酸铁锂产线", "东阳光投建年产5万吨磷酸铁锂产线是怎么回事？"),
        ("Qt 6.3 正式发布，添加 Qt 快速编译器", "Qt 6.3 正式发布是怎么回事？"),
        ("1000亿+！", None),
    ],
)
def test_question_from_title(title: str, question: str | None) -> None:
    assert question_from_title(title) == question


def test_usage_hints_never_wait_for_the_examples(sample_engine: Engine) -> None:
    chat = Conversation(sample_engine, settings(), TextRenderer())
    archive_examples(sample_engine).get()
    empty = chat.decide(Incoming(1, 1, "   "))
    assert isinstance(empty, Reply) and chat.example() in empty.text


# ---------------------------------------------------------------------- the terminal
def test_terminal_help_speaks_of_the_terminal(bundled_engine: Engine) -> None:
    out = io.StringIO()
    run_chat(bundled_engine, settings(), io.StringIO("/help\n"), out)
    text = out.getvalue()
    assert "/more" in text and "/quit" in text and "@" not in text and "按钮" not in text


def test_a_long_paste_is_cut_and_the_chat_says_what_was_cut(bundled_engine: Engine) -> None:
    out = io.StringIO()
    pasted = "包保责任制是怎么安排的" + "，" * MAX_QUESTION_CHARS + "尾巴"
    run_chat(bundled_engine, settings(), io.StringIO(pasted + "\n"), out)
    text = out.getvalue()
    assert f"只用前 {MAX_QUESTION_CHARS} 字提问" in text and "尾巴" in text
    assert "市级领导包保各区" in text  # answered, not refused as too long


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_searching_indicator_on_a_terminal_only(bundled_engine: Engine) -> None:
    terminal, pipe = TerminalStream(), io.StringIO()
    ask_once(bundled_engine, settings(), "包保责任制是怎么安排的", stderr=terminal)
    ask_once(bundled_engine, settings(), "包保责任制是怎么安排的", stderr=pipe)
    assert terminal.getvalue() == SEARCHING + CLEAR_LINE and pipe.getvalue() == ""


def test_terminal_lines_keep_history_in_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from bot.local_chat import _terminal_lines

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        keys.send_text("上海\r核酸\r\x04")
        assert list(_terminal_lines()) == ["上海", "核酸"]
    history = (tmp_path / "newsqa" / "chat-history").read_text(encoding="utf-8")
    assert "+上海" in history and "+核酸" in history


def test_ask_prints_the_further_quotes_never_more(bundled_engine: Engine, tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    result = newsqa("ask", "上海", cwd=tmp_path, NEWSQA_CORPUS_DIR=str(corpus))
    assert result.returncode == 0, result.stderr
    assert "/more" not in result.stdout and "更多" not in result.stdout
    assert "第 4–6 条" in result.stdout  # the second page is printed, not offered
    first_two = ask_once(bundled_engine, settings(), "上海", quotes=2)
    assert first_two.count("┃ ") >= 2 and "第 4" not in first_two and "/more" not in first_two


# ---------------------------------------------------------------------- configuration errors
@pytest.mark.parametrize("command", ["search", "start"])
def test_missing_corpus_is_one_line_naming_the_variable(tmp_path: Path, command: str) -> None:
    args = ["search", "x"] if command == "search" else ["start"]
    result = newsqa(*args, cwd=tmp_path, stdin="/quit\n", NEWSQA_CORPUS_DIR=str(tmp_path / "nowhere"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and result.stdout == ""
    assert len(lines) == 1 and "NEWSQA_CORPUS_DIR" in lines[0] and "nowhere" in lines[0]
    assert "starting" not in result.stderr


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_empty_token_starts_the_local_chat(tmp_path: Path, where: str) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    env = {"NEWSQA_CORPUS_DIR": str(corpus)}
    if where == "environment":
        env["TELEGRAM_BOT_TOKEN"] = ""
    else:
        (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=\n", encoding="utf-8")
    result = newsqa("start", cwd=tmp_path, stdin="/quit\n", **env)
    assert result.returncode == 0, result.stderr
    assert "starting the local chat" in result.stderr and "TELEGRAM_BOT_TOKEN" in result.stderr


def test_a_plain_http_webhook_is_refused_in_one_line(tmp_path: Path) -> None:
    result = newsqa("index", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, NEWSQA_WEBHOOK_URL="http://example.com/hook")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert "NEWSQA_WEBHOOK_URL" in lines[0] and "https://" in lines[0] and TOKEN not in result.stderr
    # The bot says the same and waits, reading the configuration again every 10 minutes (no restart loop).
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("NEWSQA_", "TELEGRAM_"))}
    environment |= {"PYTHONPATH": str(REPOSITORY), "TELEGRAM_BOT_TOKEN": TOKEN,
                    "NEWSQA_WEBHOOK_URL": "http://example.com/hook"}  # fmt: skip
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "bot"], stderr=subprocess.PIPE, text=True,
                           env=environment, cwd=tmp_path)  # fmt: skip
    try:
        line = bot.stderr.readline() if bot.stderr else ""
        assert bot.poll() is None and "NEWSQA_WEBHOOK_URL" in line and "again in 10 minutes" in line
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(10) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
    assert settings(NEWSQA_WEBHOOK_URL="https://example.com/hook").webhook_url == "https://example.com/hook"


def test_version_from_the_package_metadata(tmp_path: Path) -> None:
    result = newsqa("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"newsqa {version('newsqa')}"


def test_every_command_and_argument_has_help() -> None:
    parser = cli.build_parser()
    commands = next(action for action in parser._actions if action.dest == "command")
    for name, sub in commands.choices.items():  # type: ignore[union-attr]
        assert sub.description, name
        for action in sub._actions:
            assert action.help, f"{name} {action.dest}"
    search = commands.choices["search"].format_help()  # type: ignore[index]
    assert "standard input" in search and "[--json]" in search and "only format" in search


# ---------------------------------------------------------------------- the starting heartbeat
def test_health_is_starting_while_the_index_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    beat = tmp_path / "heartbeat"
    seen: list[str] = []

    def slow_open(*args: object) -> object:
        seen.append(beat.read_text(encoding="utf-8").strip())
        assert cli.main(["health"]) == 0
        return object()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("NEWSQA_HEARTBEAT_FILE", str(beat))
    monkeypatch.setenv("NEWSQA_EXAMPLE_QUESTIONS", "问题")
    monkeypatch.setattr(cli, "open_engine", slow_open)
    monkeypatch.setattr("bot.app.run_bot", lambda settings, engine: 0)
    assert cli.main(["bot"]) == 0
    assert seen == [health.STARTING] and "healthy: starting" in capsys.readouterr().out
    assert beat.read_text(encoding="utf-8").strip() == health.RUNNING


def test_health_check_states(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    assert health.check(beat, 90)[0] is False  # no heartbeat yet
    with pytest.raises(RuntimeError), health.StartingHeartbeat(beat):
        healthy, line = health.check(beat, 90)
        assert healthy and "starting" in line
        raise RuntimeError("the index could not be opened")
    assert not beat.exists()  # a failed start is unhealthy at once
    with health.StartingHeartbeat(beat, every=0.01):
        pass
    healthy, line = health.check(beat, 90)
    assert healthy and "starting" not in line
    assert health.check(beat, 90, now=beat.stat().st_mtime + 91)[0] is False


def test_env_example_names_every_setting_and_holds_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    path = REPOSITORY / ".env.example"
    text = path.read_text(encoding="utf-8")
    assert all(field.alias and field.alias in text for field in Settings.model_fields.values())
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{20,}", text)
    for name in [name for name in os.environ if name.startswith(("NEWSQA_", "TELEGRAM_"))]:
        monkeypatch.delenv(name)
    assert Settings(_env_file=path) == settings()  # type: ignore[call-arg]  # as copied: every default
