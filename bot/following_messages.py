"""What the bot says about followed keywords and trends, in its own words (bot.messages has the rest)."""

from __future__ import annotations

FOLLOW_USAGE = (
    "用法：/follow 关键词，例如 /follow 核酸检测。资料库收到提到它的新文章时，我会把最相关的段落发到这个聊天。"
)
FOLLOWED = (
    "已关注“{keyword}”。资料库收到提到它的新文章时，我会把最相关的段落发到这里"
    "（每小时最多 {cap} 条，更多的合并成一条摘要）。\n发送 /following 查看全部关注，/unfollow {keyword} 取消。"
)
ALREADY_FOLLOWED = "这个聊天已经在关注“{keyword}”了。发送 /following 查看全部关注。"
TOO_MANY = "一个聊天最多关注 {limit} 个关键词。请先用 /unfollow 关键词 取消一些，再关注新的。"
KEYWORD_TOO_LONG = "关键词太长了（{length} 字）。请缩短到 {limit} 字以内，只留下最关键的词语。"
KEYWORD_NO_WORDS = "关键词里要有文字或数字，例如 /{command} 核酸检测。"
FOLLOWING_NONE = "这个聊天还没有关注任何关键词。发送 /follow 关键词 开始关注，例如 /follow 核酸检测。"
FOLLOWING_LIST = "这个聊天关注的关键词（{count}/{limit}）：\n{items}\n\n发送 /unfollow 关键词 取消关注。"
UNFOLLOW_USAGE = "用法：/unfollow 关键词，例如 /unfollow 核酸检测。"
UNFOLLOWED = "已取消关注“{keyword}”。"
NOT_FOLLOWED = "这个聊天没有关注“{keyword}”。发送 /following 查看全部关注。"
TERMINAL_NO_ALERTS = (
    "新文章提醒只在 Telegram 中提供（本地对话没有地方推送）。可以用 /latest 关键词 查看最新的相关报道。"
)

ALERT_HEADER = "🔔 新文章提到“{keyword}”"
DIGEST_HEADER = "🔔 你关注的关键词有 {count} 篇新文章："
DIGEST_ITEM = "• 《{title}》 · {day}（{keyword}）"
DIGEST_MORE = "……还有 {count} 篇"
DIGEST_FOOTER = "每小时最多单独推送 {cap} 条，其余合并在这里。发送 /latest 关键词 查看原文段落。"

TREND_USAGE = "用法：/trend 关键词，例如 /trend 核酸。我会画出每周或每月提到它的文章数。"
TREND_NONE = "资料库中没有文章提到“{keyword}”。可以换一个词，或少用几个词。"
TREND_CAPTION = "📈 “{keyword}”：{first} 至 {last}，共 {total} 篇文章提到（按{unit}统计）。\n最多：{peak}，{count} 篇。"
TREND_UNDATED = "另有 {count} 篇没有日期，未计入。"
TREND_SPARKLINE = "{line}（每格一{unit}）"
CHART_SAVED = "趋势图已保存：{path}"
CHART_NOT_SAVED = "趋势图没能保存：{error}"
UNITS = {"week": "周", "month": "月"}
