"""The counsellor's saved state: a workspace reload continues the chat (export/resume)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.events import Message, Outgoing, Typing
from crypto.session import CounsellorSession, SeekerSession
from tests.conftest import missing_service

from .helpers import NOOR, NOW, ORG_PUB, SAM, connected_pair, counter_random, handshake, revocations

FIELDS = {
    "v",
    "role",
    "chat_id",
    "ik",
    "transcripts",
    "epoch",
    "send_ck",
    "send_n",
    "recv_ck",
    "recv_n",
    "peer_ack",
    "cont",
    "safety_code",
    "mac",
}


def expect(code: str, call: object, *args: object) -> None:
    assert callable(call)
    with pytest.raises(CryptoError) as info:
        call(*args)
    assert info.value.code == code, info.value


def test_resumed_counsellor_continues_the_chat_and_recognises_a_later_rehello() -> None:
    pair = connected_pair(transcripts=True)
    s, c = pair.seeker, pair.counsellor
    s0 = s.send_message("first")
    c.receive(s0, NOW)
    s.receive(c.send_message("hello"), NOW)
    s1 = s.send_message("written while the workspace reloads")
    state = json.loads(json.dumps(c.export_state()))  # through sessionStorage
    assert set(state) == FIELDS
    assert all(isinstance(v, str) for v in state.values())
    assert b64u_encode(SAM.seed) not in json.dumps(state)
    assert SAM.seed.hex() not in json.dumps(state)
    assert (state["epoch"], state["send_n"], state["recv_n"], state["peer_ack"]) == (
        "0",
        "1",
        "1",
        "",
    )

    resumed = CounsellorSession.resume_from(state, SAM.seed, SAM.cert, random=counter_random(7))
    assert resumed.established
    assert (resumed.epoch, resumed.safety_code, resumed.handle, resumed.transcripts) == (
        0,
        s.safety_code,
        "Sam",
        True,
    )
    assert (resumed.peer_ack, resumed.sent) == (None, 1)
    assert resumed.receive(s0, NOW) == []  # the relay's replay of a frame seen before
    assert resumed.receive(s1, NOW) == [Message(1, "written while the workspace reloads", 0)]
    assert s.receive(resumed.send_message("still here"), NOW) == [Message(1, "still here", 1)]
    assert resumed.receive(s.send_typing(True), NOW) == [Typing(2, True, 1)]
    assert resumed.peer_ack == 1

    # later the seeker's page reloads too: its re-hello checks against the saved cont
    seeker2 = SeekerSession.resume_from(s.export_state(), ORG_PUB, revocations())
    s_est, c_est = handshake(seeker2, resumed, NOW + 5)
    assert (s_est.epoch, c_est.same_person, c_est.prev_epoch_sent) == (1, True, 2)
    assert resumed.receive(seeker2.send_message("back"), NOW + 6) == [Message(0, "back", None)]
    again = CounsellorSession.resume_from(resumed.export_state(), SAM.seed, SAM.cert, True)
    assert again.epoch == 1
    assert seeker2.receive(again.send_message("second reload"), NOW + 7) == [
        Message(0, "second reload", 0)
    ]


def test_saved_state_refuses_another_identity_and_any_change() -> None:
    pair = connected_pair()
    c = pair.counsellor
    c.receive(pair.seeker.send_message("hi"), NOW)
    state = c.export_state()
    assert CounsellorSession.resume_from(state, SAM.seed, SAM.cert).established
    expect("bad_state", CounsellorSession.resume_from, state, NOOR.seed, NOOR.cert)
    expect("bad_cert", CounsellorSession.resume_from, state, SAM.seed, NOOR.cert)
    expect("bad_state", CounsellorSession.resume_from, state, SAM.seed, SAM.cert, True)
    for key, value in state.items():
        if key in ("v", "role"):
            continue
        if key == "safety_code":
            changed = "00000 00000"
        elif value.isdigit():
            changed = str(int(value) + 1)
        else:
            changed = value[:-1] + ("B" if value.endswith("A") else "A")
        expect(
            "bad_state", CounsellorSession.resume_from, {**state, key: changed}, SAM.seed, SAM.cert
        )
    no_mac = {k: v for k, v in state.items() if k != "mac"}
    for bad in (
        None,
        [],
        {**state, "v": "2"},
        {**state, "role": "seeker"},
        {**state, "extra": "1"},
        {**state, "epoch": 0},
        {**state, "peer_ack": "\ud800"},
        no_mac,
        pair.seeker.export_state(),
    ):
        expect("bad_state", CounsellorSession.resume_from, bad, SAM.seed, SAM.cert)


def test_nothing_to_save_before_an_epoch_or_after_closing() -> None:
    fresh = CounsellorSession(bytes(16), SAM.seed, SAM.cert)
    expect("unexpected", fresh.export_state)
    pair = connected_pair()
    pair.counsellor.destroy()
    expect("unexpected", pair.counsellor.export_state)


def test_saved_state_holds_no_pending_handshake() -> None:
    pair = connected_pair()
    s, c = pair.seeker, pair.counsellor
    c.receive(s.hello(NOW + 1), NOW + 1)  # its ACCEPT is lost with the page
    resumed = CounsellorSession.resume_from(c.export_state(), SAM.seed, SAM.cert)
    _s_est, c_est = handshake(s, resumed, NOW + 61)
    assert (c_est.epoch, c_est.same_person) == (1, True)


# Python and JavaScript save the same state: a workspace may be either (the Python client
# for tests and tools, the browser for people), and the MAC construction must not drift.
CROSS = """
import { CounsellorSession, b64uDecode, b64uEncode } from './crypto/js/hlp1.mjs';
const cfg = JSON.parse(process.argv[1]);
const c = CounsellorSession.resumeFrom(cfg.state, b64uDecode(cfg.seed), b64uDecode(cfg.cert));
const frame = c.sendMessage('from JavaScript');
console.log(JSON.stringify({ frame: b64uEncode(frame), state: c.exportState() }));
"""


def test_python_and_javascript_states_are_the_same_format() -> None:
    node = shutil.which("node")
    root = Path(__file__).parents[2]
    if node is None or not (root / "node_modules" / "tweetnacl").is_dir():
        missing_service("node and node_modules/tweetnacl are needed")
    pair = connected_pair()
    s, c = pair.seeker, pair.counsellor
    c.receive(s.send_message("hi"), NOW)
    config = {
        "state": c.export_state(),
        "seed": b64u_encode(SAM.seed),
        "cert": b64u_encode(SAM.cert),
    }
    out = subprocess.run(
        [node, "--input-type=module", "-e", CROSS, json.dumps(config)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    answer = json.loads(out.stdout)
    assert s.receive(b64u_decode(answer["frame"]), NOW) == [Message(0, "from JavaScript", 0)]
    back = CounsellorSession.resume_from(answer["state"], SAM.seed, SAM.cert)
    assert (back.sent, back.safety_code) == (1, s.safety_code)
    assert s.receive(back.send_message("from Python"), NOW) == [Message(1, "from Python", 0)]


def test_seeker_reloaded_during_a_handover_says_hello_to_the_colleague_only() -> None:
    pair = connected_pair()
    s, c = pair.seeker, pair.counsellor
    s.receive(c.send_transfer(NOOR.ik, NOOR.cert), NOW)
    state = json.loads(json.dumps(s.export_state()))
    assert state["transfer_to"] == b64u_encode(NOOR.ik)
    impostor = SeekerSession.resume_from(state, ORG_PUB, revocations())
    sam_again = CounsellorSession(s.chat_id, SAM.seed, SAM.cert)
    accept = sam_again.receive(impostor.hello(NOW), NOW)[0]
    assert isinstance(accept, Outgoing)
    expect("unauthorised_transfer", impostor.receive, accept.payload, NOW)
    resumed = SeekerSession.resume_from(state, ORG_PUB, revocations())
    noor = CounsellorSession(s.chat_id, NOOR.seed, NOOR.cert)
    s_est, c_est = handshake(resumed, noor, NOW)
    assert (s_est.epoch, s_est.handle, c_est.same_person) == (1, "Noor", None)
    assert "transfer_to" not in resumed.export_state()
    expect(
        "bad_encoding",
        SeekerSession.resume_from,
        {**state, "transfer_to": "AAAA"},
        ORG_PUB,
        revocations(),
    )
