"""FloorListener against the real demo server (and, for frames a real server never sends, a scripted one)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.server import Server, ServerConnection, serve

from mobile_app.api.floor import FloorListener, floor_url
from mobile_app.api.wire import ArrivalCard
from tests.mobile_app.cable import Cable
from tests.mobile_app.conftest import WAIT, DemoServer, dead_url, wait_until


class Recorder:
    """What a listener reported, safe to read from the test thread."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.statuses: list[str] = []
        self.lock = threading.Lock()

    def event(self, frame: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(frame)

    def status(self, status: str) -> None:
        with self.lock:
            self.statuses.append(status)

    def listen(self, url: str, token: str, since: int | None = None) -> FloorListener:
        """A started listener reporting here, with short backoff for the tests."""
        listener = FloorListener(
            url, token, since, self.event, self.status, initial_backoff=0.1, max_backoff=0.5
        )
        return listener.start()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_an_arrival_at_the_clerks_store_reaches_the_clerk(
    demo_server: DemoServer, recorder: Recorder
) -> None:
    listener = recorder.listen(demo_server.url, demo_server.token(*demo_server.clerk))
    try:
        wait_until(lambda: listener.status == "online", what="online")
        till = demo_server.token(*demo_server.manager)
        sent = demo_server.arrive(till, card=demo_server.featured_card)
        wait_until(
            lambda: any(e["event_id"] == sent["event_id"] for e in recorder.events), what="the arrival"
        )
    finally:
        listener.stop()
    assert not listener.running and recorder.statuses == ["connecting", "online", "offline"]
    frame = next(e for e in recorder.events if e["event_id"] == sent["event_id"])
    assert frame["event_type"] == "member.arrived" and frame["replayed"] is False
    card = ArrivalCard.from_json(frame)
    assert (card.member_id, card.name, card.source) == (demo_server.featured_member_id, "王芳", "till")
    assert card.store_id == demo_server.store_id and card.event_seq == listener.last_seq
    assert 3 <= len(card.recommendations) <= 5 and card.talking_point == card.talking_points[0].text


def run_outage(
    demo_server: DemoServer, cable: Cable, recorder: Recorder, login: tuple[str, str], silent: bool
) -> tuple[FloorListener, list[str]]:
    """One arrival live, three during an outage, two after: the event ids in the order they were sent."""
    till = demo_server.token(*demo_server.manager)
    listener = recorder.listen(cable.url, demo_server.token(*login))
    try:
        wait_until(lambda: listener.status == "online", what="online")
        sent = [demo_server.arrive(till, card=demo_server.featured_card)["event_id"]]
        wait_until(lambda: len(recorder.events) == 1, what="the first arrival")
        if silent:
            cable.go_silent()
        else:
            cable.unplug()
        sent += [demo_server.arrive(till, card=demo_server.featured_card)["event_id"] for _ in range(3)]
        # A silent line is noticed after 2.5 missed heartbeats (5 s at least); a cut one at once.
        wait_until(lambda: listener.status == "offline", what="offline after the drop")
        assert len(recorder.events) == 1
        cable.plug()
        wait_until(lambda: len(recorder.events) == 4, what="the missed arrivals")
        sent.append(demo_server.arrive(till, card=demo_server.featured_card)["event_id"])
        wait_until(lambda: len(recorder.events) == 5, what="a live arrival after the replay")
        # One socket keeps the server's order: anything else on its way (a second copy) comes before this.
        sent.append(demo_server.arrive(till, card=demo_server.featured_card)["event_id"])
        wait_until(lambda: len(recorder.events) >= 6, what="the last live arrival")
    finally:
        listener.stop()
    return listener, sent


def assert_once_in_order(recorder: Recorder, listener: FloorListener, sent: list[str]) -> None:
    """Every arrival exactly once, in the order sent, numbered without gaps; the missed ones flagged."""
    assert [e["event_id"] for e in recorder.events] == sent
    seqs = [e["seq"] for e in recorder.events]
    assert seqs == list(range(seqs[0], seqs[0] + 6)) and listener.last_seq == seqs[-1]
    assert [e["replayed"] for e in recorder.events] == [False, True, True, True, False, False]
    assert recorder.statuses.count("online") == 2


def test_a_clerk_whose_network_died_silently_gets_the_missed_arrivals_once(
    demo_server: DemoServer, cable: Cable, recorder: Recorder
) -> None:
    listener, sent = run_outage(demo_server, cable, recorder, demo_server.clerk, silent=True)
    assert_once_in_order(recorder, listener, sent)


def test_a_clerk_whose_socket_closed_gets_the_missed_arrivals_once(
    demo_server: DemoServer, cable: Cable, recorder: Recorder
) -> None:
    # The server sees the socket close, and keeps the clerk on the floor for the grace period.
    listener, sent = run_outage(demo_server, cable, recorder, demo_server.clerk, silent=False)
    assert_once_in_order(recorder, listener, sent)


def test_a_clerk_who_signs_out_is_off_the_floor(demo_server: DemoServer, recorder: Recorder) -> None:
    token = demo_server.token(*demo_server.clerk)
    me = httpx.get(f"{demo_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    clerk_id = me.json()["id"]
    till = demo_server.token(*demo_server.manager)
    listener = recorder.listen(demo_server.url, token)
    try:
        wait_until(lambda: listener.status == "online", what="the floor")
        assert clerk_id in demo_server.arrive(till, card=demo_server.featured_card)["delivered_to"]
    finally:
        listener.stop(leave=True)
    presence = demo_server.app.state.floor.presence
    wait_until(lambda: clerk_id not in presence.staff_on_floor(demo_server.store_id), what="off the floor")
    assert clerk_id not in demo_server.arrive(till, card=demo_server.featured_card)["delivered_to"]


def test_a_consultant_cut_off_gets_their_members_arrivals_once(
    demo_server: DemoServer, cable: Cable, recorder: Recorder
) -> None:
    # The server knows at once that this phone left; 王芳's consultant is told of her wherever they are.
    listener, sent = run_outage(demo_server, cable, recorder, demo_server.vip, silent=False)
    assert_once_in_order(recorder, listener, sent)


def test_a_refused_token_ends_the_listener(demo_server: DemoServer, recorder: Recorder) -> None:
    listener = recorder.listen(demo_server.url, "not-a-token")
    wait_until(lambda: not listener.running, what="the listener to give up")
    assert recorder.statuses == ["connecting", "unauthorized"]
    assert listener.close_code == 4401


def test_stop_ends_a_listener_that_is_waiting_to_reconnect(recorder: Recorder) -> None:
    # Ten minutes between attempts: a stop that waited for the next attempt would outlast the join below.
    listener = FloorListener(
        dead_url(), "token", None, recorder.event, recorder.status, initial_backoff=600, max_backoff=600
    ).start()
    wait_until(lambda: recorder.statuses.count("offline") >= 1, what="a failed attempt")
    listener.stop(timeout=WAIT)
    assert not listener.running, "stop() left the listener waiting to reconnect"
    assert recorder.statuses[-1] == "offline" and "online" not in recorder.statuses


# A scripted floor: what each successive connection sends, to check the listener's own bookkeeping.
def hello() -> dict[str, Any]:
    return {"type": "hello", "staff_id": 1, "store_id": 1, "last_seq": 0, "heartbeat_seconds": 1}


def event(seq: int) -> dict[str, Any]:
    return {"type": "event", "seq": seq, "event_id": f"e{seq}", "event_type": "member.arrived", "payload": {}}


Script = list[dict[str, Any] | int]


class ScriptedFloor:
    """A WebSocket server that plays one script per connection and records the URLs and first frames."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.paths: list[str] = []
        self.first_frames: list[dict[str, Any]] = []
        self.subprotocols: list[str | None] = []
        self.server: Server = serve(self.handle, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"

    def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        self.subprotocols.append(ws.request.headers.get("Sec-WebSocket-Protocol"))
        self.first_frames.append(json.loads(ws.recv(timeout=WAIT)))
        script = self.scripts[min(len(self.paths), len(self.scripts)) - 1]
        for step in script:
            if isinstance(step, int):  # a close code ends the script
                ws.close(step, "scripted")
                return
            ws.send(json.dumps(step))
        ws.close()


@pytest.fixture
def scripted() -> Iterator[list[ScriptedFloor]]:
    floors: list[ScriptedFloor] = []
    yield floors
    for floor in floors:
        floor.server.shutdown()


def start(floors: list[ScriptedFloor], scripts: list[Script]) -> ScriptedFloor:
    floor = ScriptedFloor(scripts)
    floor.thread.start()
    floors.append(floor)
    return floor


def test_each_event_is_passed_on_once_and_reconnects_ask_since_the_last(
    scripted: list[ScriptedFloor], recorder: Recorder
) -> None:
    ready: dict[str, Any] = {"type": "ready", "seq": 2, "complete": True}
    # The first connection repeats 2 and 1; the second replays 2 again, then closes with 4403.
    first: Script = [hello(), event(1), event(2), event(2), event(1), ready]
    second: Script = [hello(), event(2), event(3), {**ready, "seq": 3}, event(4), 4403]
    floor = start(scripted, [first, second])
    listener = recorder.listen(floor.url, "tok", since=0)
    wait_until(lambda: not listener.running, what="the scripted 4403")
    assert [e["seq"] for e in recorder.events] == [1, 2, 3, 4]
    assert [e["replayed"] for e in recorder.events] == [True, True, True, False]
    assert [p.split("?", 1)[1] for p in floor.paths] == ["since=0", "since=2"]
    # The token is the first frame of each connection, never in the URL or a header.
    assert floor.first_frames == [{"type": "auth", "token": "tok"}] * 2
    assert floor.subprotocols == ["aisle.v1"] * 2
    assert recorder.statuses[-1] == "unauthorized" and listener.close_code == 4403


def test_without_a_known_seq_it_asks_for_live_events_only() -> None:
    assert floor_url("https://shop.example.com", None) == "wss://shop.example.com/api/v1/ws/floor"
    assert floor_url("10.0.0.2:8000", 12).endswith("ws://10.0.0.2:8000/api/v1/ws/floor?since=12")
