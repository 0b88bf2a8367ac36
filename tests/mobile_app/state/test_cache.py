"""ProfileCache: profiles on disk, per owner, found by id or card."""

from __future__ import annotations

from pathlib import Path

from mobile_app.api.wire import Profile
from mobile_app.state.cache import ProfileCache

WANG = {
    "id": 1,
    "name": "王芳",
    "card_number": "605000000014",
    "tier": {"name": "VIP"},
    "tags": [{"tag": "茶客"}],
}


def test_profiles_are_kept_per_owner_and_survive_a_restart(tmp_path: Path) -> None:
    cache = ProfileCache(tmp_path)
    cache.put("http://s|sh.vip", WANG)
    cache.put("http://s|sh.vip", {**WANG, "id": 2, "name": "周强", "card_number": "605000000099"})
    cache.close()
    again = ProfileCache(tmp_path)
    saved = again.get("http://s|sh.vip", 1)
    assert saved is not None and Profile.from_json(saved[0]).name == "王芳"
    assert Profile.from_json(saved[0]).tags == ["茶客"] and saved[1].tzinfo is not None
    assert again.find_card("http://s|sh.vip", " 605000000099 ") == 2
    assert (
        again.get("http://s|sh.clerk1", 1) is None
        and again.find_card("http://s|sh.clerk1", "605000000014") is None
    )
    assert again.member_ids("http://s|sh.vip") == [1, 2]


def test_a_refreshed_profile_replaces_the_old_one_and_clear_forgets(tmp_path: Path) -> None:
    cache = ProfileCache(tmp_path)
    cache.put("o", WANG)
    cache.put("o", {**WANG, "name": "王芳芳"})
    saved = cache.get("o", 1)
    assert saved is not None and saved[0]["name"] == "王芳芳" and cache.member_ids("o") == [1]
    cache.clear("o")
    assert cache.get("o", 1) is None
