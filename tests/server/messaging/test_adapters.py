"""Each provider adapter against a mock of its real API: a right signature, the idempotency key passed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx

from server.messaging.adapters import aliyun, tencent
from server.messaging.adapters.aliyun import AliyunAdapter
from server.messaging.adapters.base import Match, Outgoing, WebhookCall
from server.messaging.adapters.tencent import TencentAdapter
from server.messaging.adapters.twilio import TwilioAdapter

MESSAGE = Outgoing(
    key="otp:r-1",
    member_id=7,
    channel="sms",
    purpose="otp",
    to="+8613800138000",
    text="验证码123456",
    params={"code": "123456", "minutes": "5"},
)
WHEN = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _client(handler: object) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_alibaba_signs_the_query_and_passes_the_key_as_out_id() -> None:
    seen: list[dict[str, str]] = []

    def api(request: httpx.Request) -> httpx.Response:
        params = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        seen.append(params)
        if params["Action"] == "SendSms":
            return httpx.Response(200, json={"Code": "OK", "BizId": "biz-1", "Message": "OK"})
        details = [{"OutId": "otp:r-1", "SendStatus": 3}, {"OutId": "other", "SendStatus": 2}]
        return httpx.Response(200, json={"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}})

    adapter = AliyunAdapter(
        "key-id", "s3cret", "Aisle", {"otp": "SMS_1"}, "https://dysmsapi.aliyuncs.com", _client(api)
    )
    result = adapter.send(MESSAGE)
    assert (result.outcome, result.provider_id) == ("accepted", "biz-1")
    sent = seen[0]
    assert (
        sent["OutId"] == "otp:r-1"
        and sent["PhoneNumbers"] == "13800138000"
        and sent["TemplateCode"] == "SMS_1"
    )
    assert json.loads(sent["TemplateParam"]) == {"code": "123456", "minutes": "5"}
    signature = sent.pop("Signature")
    assert signature == aliyun.sign(sent, "s3cret") and signature != aliyun.sign(sent, "other")
    assert adapter.query(MESSAGE, None, WHEN) == "delivered"
    assert seen[1]["Action"] == "QuerySendDetails" and seen[1]["SendDate"] == "20260302"


def test_alibaba_tells_throttling_from_a_definite_refusal() -> None:
    codes = iter(["isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL"])
    adapter = AliyunAdapter(
        "k",
        "s",
        "Aisle",
        {"*": "SMS_9"},
        "https://dysmsapi.aliyuncs.com",
        _client(lambda r: httpx.Response(200, json={"Code": next(codes), "Message": "no"})),
    )
    assert adapter.send(MESSAGE).outcome == "transient"
    assert adapter.send(MESSAGE).outcome == "failed"


def test_tencent_signs_with_tc3_and_passes_the_key_as_session_context() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers["X-TC-Action"] == "SendSms":
            status = {"SerialNo": "serial-1", "Code": "Ok", "SessionContext": "otp:r-1"}
            return httpx.Response(200, json={"Response": {"SendStatusSet": [status], "RequestId": "r"}})
        pulled = [{"SessionContext": "otp:r-1", "SerialNo": "serial-1", "ReportStatus": "SUCCESS"}]
        return httpx.Response(200, json={"Response": {"PullSmsSendStatusSet": pulled}})

    adapter = TencentAdapter(
        "AKID",
        "key",
        "1400000000",
        "Aisle",
        {"otp": "101"},
        "ap-guangzhou",
        "https://sms.tencentcloudapi.com",
        _client(api),
    )
    result = adapter.send(MESSAGE)
    assert (result.outcome, result.provider_id) == ("accepted", "serial-1")
    request = seen[0]
    body = json.loads(request.content)
    assert body["SessionContext"] == "otp:r-1" and body["TemplateId"] == "101"
    assert body["TemplateParamSet"] == ["123456", "5"] and body["PhoneNumberSet"] == ["+8613800138000"]
    stamp = int(request.headers["X-TC-Timestamp"])
    expected = tencent.authorization(
        "AKID", "key", "sms.tencentcloudapi.com", request.content.decode(), stamp
    )
    assert request.headers["Authorization"] == expected and "Credential=AKID/" in expected
    assert adapter.query(MESSAGE, None, WHEN) == "delivered"
    assert seen[1].headers["X-TC-Action"] == "PullSmsSendStatusByPhoneNumber"


def test_twilio_posts_with_basic_auth_and_the_key_in_the_status_callback() -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, json={"sid": "SM1", "status": "queued"})
        return httpx.Response(
            200, json={"messages": [{"sid": "SM1", "body": MESSAGE.text, "status": "delivered"}]}
        )

    callback = "https://aisle.example/api/v1/messaging/webhooks/twilio/receipts"
    adapter = TwilioAdapter("AC1", "tok", "+15005550006", "https://api.twilio.com", callback, _client(api))
    assert adapter.send(MESSAGE).provider_id == "SM1"
    form = parse_qs(seen[0].content.decode())
    assert form["StatusCallback"] == [f"{callback}?key=otp%3Ar-1"] and form["To"] == ["+8613800138000"]
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"AC1:tok").decode()
    assert adapter.query(MESSAGE, None, WHEN) == Match("delivered", "SM1")


def test_twilio_matches_a_text_once_so_a_twin_message_is_never_taken_for_sent() -> None:
    # Two outbox rows with the same text to the same number, one answer lost each: Twilio holds one.
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"messages": [{"sid": "SM7", "body": MESSAGE.text, "status": "sent"}]}
        )

    adapter = TwilioAdapter("AC1", "tok", "+1", "https://api.twilio.com", "", _client(api))
    assert adapter.query(MESSAGE, None, WHEN) == Match("sent", "SM7")
    assert adapter.query(MESSAGE, None, WHEN, taken=frozenset({"SM7"})) == "not_found"


def test_twilio_webhooks_are_checked_by_their_signature() -> None:
    adapter = TwilioAdapter("AC1", "tok", "+1", "https://api.twilio.com", "", httpx.Client())
    url = "https://aisle.example/api/v1/messaging/webhooks/twilio/receipts?key=otp%3Ar-1"
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    data = url + "".join(k + v for k, v in sorted(form.items()))
    good = base64.b64encode(hmac.new(b"tok", data.encode(), hashlib.sha1).digest()).decode()
    call = WebhookCall(url, {"x-twilio-signature": good}, b"", form, None)
    assert adapter.verify(call, None)
    assert not adapter.verify(WebhookCall(url, {"x-twilio-signature": "forged"}, b"", form, None), None)
    receipt = adapter.receipts(call)[0]
    assert (receipt.status, receipt.key, receipt.provider_id) == ("delivered", "otp:r-1", "SM1")


def test_a_connection_refused_is_transient_and_a_timeout_unknown() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    for handler, outcome in ((refused, "transient"), (slow, "unknown")):
        adapter = TwilioAdapter("AC1", "tok", "+1", "https://api.twilio.com", "", _client(handler))
        assert adapter.send(MESSAGE).outcome == outcome
