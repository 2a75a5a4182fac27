"""Everything the bot says in its own words (the quotes are the corpus's words)."""

from __future__ import annotations

from retrieval.engine import CorpusStats

MAX_QUESTION_CHARS = 500  # the engine reads no further; longer questions get a polite note
NO_ANSWER = "没有在资料库中找到能回答这个问题的内容。"
NO_ANSWER_TIP = "可以换个说法，用更具体的关键词（人名、地名、机构），或加上日期，例如“4月6日”。"
EMPTY = "请直接发给我一个问题，例如：{example}"
NO_WORDS = "我只看得懂用文字写的问题 🙂 请用几个词描述你想了解的新闻，例如：{example}"
NOT_TEXT = "我只能读文字消息。请用文字提问，例如：{example}"
TOO_LONG = "这个问题太长了（{length} 字）。请缩短到 {limit} 字以内，只留下最关键的词语和时间。"
RATE_LIMITED = "提问太频繁了，请 {seconds} 秒后再试。"
REFUSED = "抱歉，这个机器人只在指定的聊天中提供服务。"
NO_MORE = "没有更多引文了，请提出新的问题。"
EXPIRED = "这个按钮已过期，请重新提问"
FAILED = "抱歉，处理这条消息时出了点问题，请稍后再试。"
RESTARTING = "抱歉，机器人正在重新启动，没来得及回答这个问题。请过一会儿再问一次。"
UNKNOWN_COMMAND = "不认识这个命令。发送 /help 查看用法。"
ASK_USAGE = "用法：/ask 问题，例如 /ask {example}"
SEARCH_USAGE = "用法：/search 关键词，例如 /search 核酸检测。会列出更多、更短的相关段落。"
MORE_BUTTON = "更多 ({remaining})"
INLINE_HINT = "输入一个问题，例如：{example}"
SEARCH_HEADER = "🔎 搜索“{words}”"
LATEST_HEADER = "🕒 “{words}”的最新报道"
NEWEST_HEADER = "🕒 资料库中最新的报道"
PAGE_FOOTER = "第 {first}–{last} 条，共 {total} 条"
UNKNOWN_DATE_RANGE = "日期不详"

COMMANDS = (
    ("ask", "提问（群聊中用），例如 /ask 问题"),
    ("search", "关键词搜索：更多、更短的段落"),
    ("latest", "按日期从新到旧列出相关报道"),
    ("trend", "报道趋势图：每周或每月提到关键词的文章数"),
    ("follow", "关注关键词：有新文章提到它时推送到这个聊天"),
    ("following", "查看这个聊天关注的关键词"),
    ("unfollow", "取消关注，例如 /unfollow 关键词"),
    ("help", "用法说明"),
    ("start", "资料库简介和示例问题"),
)


def date_range(stats: CorpusStats) -> str:
    if stats.first_day and stats.last_day:
        return f"{stats.first_day.isoformat()} 至 {stats.last_day.isoformat()}"
    return UNKNOWN_DATE_RANGE


def start_text(stats: CorpusStats, examples: list[str]) -> str:
    lines = [
        "你好！我根据新闻资料库回答问题，每个回答都引用原文段落，并注明标题、日期和来源。",
        f"资料库：{stats.articles} 篇新闻（{stats.passages} 个段落），时间范围 {date_range(stats)}。",
    ]
    if stats.passages and stats.embedded < stats.passages:
        share = stats.embedded / stats.passages
        lines.append(f"语义检索已覆盖 {share:.0%} 的段落，其余正在后台处理，期间按关键词检索。")
    if examples:
        lines += ["", "可以这样问我：", *(f"• {example}" for example in examples[:2])]
    lines += ["", "发送 /trend 关键词 看报道趋势图；/follow 关键词 在有新文章提到它时收到推送。"]
    lines += ["发送 /help 查看全部用法。"]
    return "\n".join(lines)


def help_text(bot_username: str, examples: list[str]) -> str:
    example = examples[0] if examples else "上海召开了什么会议？"
    return "\n".join(
        [
            "私聊：直接发送问题即可，例如：" + example,
            "",
            "命令：",
            *(f"/{name} — {description}" for name, description in COMMANDS),
            "",
            f"群聊：用 /ask 问题、在消息里提到 @{bot_username}，或回复我的消息来提问；其他消息我不会打扰。",
            f"群聊中用 /follow@{bot_username} 关键词 关注，新文章会推送到群里。",
            f"任何聊天中输入 @{bot_username} 加问题，可以直接挑选引文发送。",
            "回答下方的“更多”按钮可以翻看更多引文。",
        ]
    )


def terminal_help_text(examples: list[str], limit: int) -> str:
    """/help in the local chat: the terminal's own commands, no Telegram buttons or mentions."""
    example = examples[0] if examples else "最近有什么新闻？"
    return "\n".join(
        [
            "直接输入问题并回车，例如：" + example,
            "",
            "命令：",
            "/more — 上一个回答的更多引文",
            "/search 关键词 — 关键词搜索：更多、更短的段落",
            "/latest 关键词 — 按日期从新到旧列出相关报道；只输入 /latest 列出最新的报道",
            "/trend 关键词 — 报道趋势：一行走势，趋势图保存在缓存文件夹（新文章推送 /follow 只在 Telegram 中提供）",
            "/start — 资料库简介和示例问题",
            "/help — 本说明",
            "/quit — 退出（也可以按 Ctrl-D）",
            "",
            f"↑/↓ 翻出以前的问题；问题最多 {limit} 字，粘贴的长文超出部分会被截去。",
        ]
    )


def cut_text(length: int, limit: int, cut: str) -> str:
    """Said in the local chat when a pasted question is longer than the engine reads."""
    tail = cut if len(cut) <= 20 else cut[:20] + "…"
    return f"（输入有 {length} 字，只用前 {limit} 字提问；截去了后 {length - limit} 字：“{tail}”）"


def no_answer_text(stats: CorpusStats) -> str:
    return f"{NO_ANSWER}\n{NO_ANSWER_TIP}\n资料库收录 {date_range(stats)} 的 {stats.articles} 篇新闻。"
