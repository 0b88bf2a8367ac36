"""Every string in English and Chinese, with the same placeholders; messages for each failure."""

from __future__ import annotations

import re
import string

import pytest

from mobile_app.api.errors import ApiError, Unauthorized, Unreachable
from mobile_app.state.i18n import LANGUAGES, STRINGS, plural, tr
from mobile_app.state.messages import message_for

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_hold_the_same_keys_and_placeholders() -> None:
    assert set(STRINGS) == set(LANGUAGES)
    assert set(STRINGS["en"]) == set(STRINGS["zh"])
    for key, english in STRINGS["en"].items():
        assert english.strip() and STRINGS["zh"][key].strip(), key
        assert placeholders(english) == placeholders(STRINGS["zh"][key]), key


def test_messages_read_as_chinese_in_chinese() -> None:
    for key, text in STRINGS["zh"].items():
        if key.split(".")[0] in ("error", "notice", "what", "connection", "tasks"):
            assert CHINESE.search(text), key


def test_tr_fills_placeholders_and_falls_back() -> None:
    assert tr("notice.queued", "zh", n=3) == "已保存在本机；3 项待网络恢复后发送。"
    assert tr("notice.queued", "fr", n=1).startswith("Saved on this phone; 1 waiting")
    assert (
        tr("notice.queued", "en")
        == "Saved on this phone; {n} waiting to send when the server can be reached."
    )
    assert tr("error.invalid", "en", other="x") == "Please check what you entered: {detail}"
    assert tr("no.such.key", "zh") == "no.such.key"


@pytest.mark.parametrize(
    ("key", "one", "two", "zh_one"),
    [
        ("manager.clients_count", "1 client", "2 clients", "1 位客户"),
        ("manager.tasks_count", "1 open task", "2 open tasks", "1 项待办"),
        ("ask.found", "1 idea:", "2 ideas:", "找到 1 件："),
        ("notice.sent_queued", "Sent 1 change saved while offline.", "Sent 2 changes saved while offline.",
         "离线时保存的 1 项已发送。"),
        ("unit.day", "1 day", "2 days", "1 天"),
        ("evidence.categories", "bought from 1 category", "bought from 2 categories", "购买过 1 个品类"),
    ],
)  # fmt: skip
def test_counts_read_right_for_one_and_for_more(key: str, one: str, two: str, zh_one: str) -> None:
    assert (plural(key, 1, "en"), plural(key, 2, "en")) == (one, two)
    assert plural(key, 0, "en") == two.replace("2", "0")
    assert plural(key, 1, "zh") == zh_one


def test_every_counted_string_has_both_forms() -> None:
    for lang, strings in STRINGS.items():
        stems = {key.removesuffix(".one") for key in strings if key.endswith(".one")}
        assert stems, lang
        for stem in stems:
            assert f"{stem}.other" in strings, (lang, stem)
            assert "{n}" in strings[f"{stem}.other"], (lang, stem)


@pytest.mark.parametrize(
    ("exc", "signing_in", "en", "zh"),
    [
        (Unauthorized("bad"), True, "Wrong username or password.", "用户名或密码错误。"),
        (Unauthorized("token revoked"), False, "Your session has expired. Please sign in again.",
         "登录已过期，请重新登录。"),
        (Unreachable("http://10.0.0.9:8000", "refused"), False,
         "Cannot reach the server at http://10.0.0.9:8000. Check the address and the network.",
         "无法连接服务器 http://10.0.0.9:8000，请检查地址和网络。"),
        (ApiError(404, "no member with card 1"), False, "Not found: no member with card 1",
         "未找到：no member with card 1"),
        (ApiError(404, "Not Found"), False, "This server does not offer that yet (please update it).",
         "此服务器暂不支持该功能（请升级服务器）。"),
        (ApiError(403, "clerks cannot"), False, "You are not allowed to do that: clerks cannot",
         "您没有权限执行此操作：clerks cannot"),
        (ApiError(422, "k: too big"), False, "Please check what you entered: k: too big",
         "请检查输入内容：k: too big"),
        (ApiError(429, "slow down"), False, "Too many attempts. Wait a minute and try again.",
         "尝试次数过多，请稍等一分钟再试。"),
        (ApiError(503, "db down"), False, "The server had a problem (HTTP 503). Try again shortly.",
         "服务器出错（HTTP 503），请稍后再试。"),
    ],
)  # fmt: skip
def test_each_failure_has_a_clear_message(exc: Exception, signing_in: bool, en: str, zh: str) -> None:
    assert message_for(exc, "en", signing_in=signing_in) == en
    assert message_for(exc, "zh", signing_in=signing_in) == zh
