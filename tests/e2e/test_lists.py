"""The lists users expect: their projects, and experts to book by name."""

from __future__ import annotations

import uuid

import httpx

from support import PROBLEM


def someone(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"


def get(platform, user: str, path: str, **params) -> httpx.Response:
    return httpx.get(platform.gateway_url + path, params=params, headers=platform.headers(user))


def test_my_projects_owned_or_joined_newest_first_in_pages(platform):
    gw = platform.gateway_url
    owner, member, stranger = someone("owner"), someone("member"), someone("stranger")
    made = [httpx.post(gw + "/v1/projects", json={"title": f"P{i}"}, headers=platform.headers(owner)).json() for i in range(3)]
    joined = httpx.post(gw + "/v1/projects", json={"title": "Theirs"}, headers=platform.headers(member)).json()
    added = httpx.post(gw + f"/v1/projects/{made[0]['id']}/members", json={"user_id": member}, headers=platform.headers(owner))
    assert added.status_code == 204

    first = get(platform, owner, "/v1/projects", limit=2)
    assert first.status_code == 200, first.text
    assert [p["id"] for p in first.json()["data"]] == [made[2]["id"], made[1]["id"]] and first.json()["has_more"] is True
    rest = get(platform, owner, "/v1/projects", limit=2, starting_after=made[1]["id"]).json()
    assert [p["id"] for p in rest["data"]] == [made[0]["id"]] and rest["has_more"] is False
    assert rest["data"][0] == {**made[0], "member_ids": [owner, member]}

    theirs = get(platform, member, "/v1/projects").json()
    assert [p["id"] for p in theirs["data"]] == [joined["id"], made[0]["id"]]
    assert get(platform, stranger, "/v1/projects").json() == {"data": [], "has_more": False}
    # Someone else's project is no cursor of mine.
    foreign = get(platform, stranger, "/v1/projects", starting_after=made[0]["id"])
    assert foreign.status_code == 422 and foreign.headers["content-type"] == PROBLEM
    assert httpx.get(gw + "/v1/projects").status_code == 401


def test_experts_searched_by_name_in_pages(platform):
    gw = platform.gateway_url
    tag = uuid.uuid4().hex[:8]
    names = [f"Ada {tag} Lovelace", f"ada {tag} Byron", f"Grace {tag} 100%_sure"]
    ids = []
    for name in names:
        expert = someone("expert")
        body = {"display_name": name, "rate_per_minute": {"amount": 150, "currency": "usd"}}
        assert httpx.put(gw + "/v1/experts/me", json=body, headers=platform.headers(expert)).status_code == 200
        ids.append(expert)
    searcher = someone("searcher")

    found = get(platform, searcher, "/v1/experts", q=f"ADA {tag}")
    assert found.status_code == 200, found.text
    assert found.json() == {
        "data": [
            {"id": ids[1], "display_name": names[1], "rate_per_minute": {"amount": 150, "currency": "usd"}, "payouts_enabled": False},
            {"id": ids[0], "display_name": names[0], "rate_per_minute": {"amount": 150, "currency": "usd"}, "payouts_enabled": False},
        ],
        "has_more": False,
    }
    page = get(platform, searcher, "/v1/experts", q=tag, limit=2).json()
    assert [e["id"] for e in page["data"]] == [ids[2], ids[1]] and page["has_more"] is True
    rest = get(platform, searcher, "/v1/experts", q=tag, limit=2, starting_after=ids[1]).json()
    assert [e["id"] for e in rest["data"]] == [ids[0]] and rest["has_more"] is False
    # Wildcards are letters like any other.
    assert [e["id"] for e in get(platform, searcher, "/v1/experts", q=f"{tag} 100%_").json()["data"]] == [ids[2]]
    assert get(platform, searcher, "/v1/experts", q=f"{tag} 1%").json()["data"] == []
    # Everyone, newest first, when no name is asked for.
    everyone = get(platform, searcher, "/v1/experts", limit=3).json()
    assert [e["id"] for e in everyone["data"]][:1] == [ids[2]]
    too_many = get(platform, searcher, "/v1/experts", limit=101)
    assert too_many.status_code == 422 and too_many.json()["code"]
