"""Register, login, logout, tokens, and the admin's staff, agency and category mutations."""

from __future__ import annotations

from typing import Any

from bench.world import World, gid
from models.enums import Role
from models.orm.accounts import AuthToken, User
from tests.support.api import Api
from tests.support.clock import FakeClock

REGISTER = """mutation($input: RegisterInput!) { register(input: $input) {
  token user { id displayName phone role } errors { code field message } } }"""
LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  token user { id role } errors { code field message } } }"""
LOGOUT = """mutation($input: LogoutInput) { logout(input: $input) { ok errors { code } } }"""
ME = "{ me { id displayName phone role agency { name } } }"


async def register(api: Api, phone: str = "0905 123 456", password: str = "sông Hương 2026",
                   name: str = "Trần Văn Huế") -> dict[str, Any]:
    data = await api.gql(REGISTER, {"input": {"phone": phone, "password": password,
                                              "displayName": name}})
    payload: dict[str, Any] = data["register"]
    return payload


async def test_register_login_me_logout(api: Api):
    reg = await register(api)
    assert reg["errors"] == []
    assert reg["user"]["phone"] == "+84905123456"
    assert reg["user"]["role"] == "CITIZEN"
    me = await api.gql(ME, token=reg["token"])
    assert me["me"]["displayName"] == "Trần Văn Huế"
    # The hash is argon2, never the password.
    user = await User.get(phone="+84905123456")
    assert user.password_hash.startswith("$argon2id$")
    assert "sông Hương" not in user.password_hash

    login = (await api.gql(LOGIN, {"input": {"phone": "+84 905 123 456",
                                             "password": "sông Hương 2026"}}))["login"]
    assert login["errors"] == []
    assert login["token"] != reg["token"]
    out = await api.gql(LOGOUT, token=login["token"])
    assert out["logout"] == {"ok": True, "errors": []}
    # A signed-out token is refused as such (401), not taken as anonymous.
    assert await api.token_refused(login["token"]) == "TOKEN_REVOKED"
    # The other session is untouched until "all sessions" is asked for.
    assert (await api.gql(ME, token=reg["token"]))["me"] is not None
    await register(api, phone="0905 999 888")
    out = await api.gql(LOGOUT, {"input": {"allSessions": True}}, token=reg["token"])
    assert out["logout"]["ok"] is True
    assert await api.token_refused(reg["token"]) == "TOKEN_REVOKED"
    out = await api.gql(LOGOUT)
    assert out["logout"]["errors"] == [{"code": "UNAUTHENTICATED"}]


async def test_tokens_are_stored_hashed_and_expire(api: Api, clock: FakeClock):
    reg = await register(api)
    stored = await AuthToken.all().values_list("token_hash", flat=True)
    assert reg["token"] not in stored
    clock.advance(days=30, seconds=1)
    assert await api.token_refused(reg["token"]) == "TOKEN_EXPIRED"


async def test_wrong_password_and_unknown_phone_look_the_same(api: Api):
    await register(api)
    wrong = (await api.gql(LOGIN, {"input": {"phone": "0905123456", "password": "sai mật khẩu"}}))
    unknown = (await api.gql(LOGIN, {"input": {"phone": "0905000000", "password": "x"}}))
    assert wrong["login"]["errors"] == unknown["login"]["errors"]
    assert wrong["login"]["errors"][0]["code"] == "UNAUTHENTICATED"
    assert wrong["login"]["token"] is None
    # Not a phone number at all (found by the fuzzer: it once reached the database).
    for junk in ("00000000000000000", "", "x" * 40, "+84"):
        garbage = await api.gql(LOGIN, {"input": {"phone": junk, "password": "x"}})
        assert garbage["login"]["errors"] == wrong["login"]["errors"]


async def test_register_validation(api: Api):
    cases = [
        ({"phone": "12345"}, "phone"),
        ({"phone": "+1 415 555 0100"}, "phone"),
        ({"password": "short"}, "password"),
        ({"password": "12345678"}, "password"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "a\u0000b"}, "displayName"),
        ({"displayName": "x" * 101}, "displayName"),
    ]
    for override, field in cases:
        payload = {"phone": "0905123456", "password": "sông Hương 2026",
                   "displayName": "Trần Văn Huế"} | override
        data = await api.gql(REGISTER, {"input": payload})
        assert [(e["code"], e["field"]) for e in data["register"]["errors"]] == [
            ("VALIDATION", field)], override
    assert await User.all().count() == 0
    await register(api)
    again = await register(api, phone="+84905123456")
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "phone")]


async def test_a_bad_or_garbage_token_is_refused_not_anonymous(api: Api):
    """A front end must tell "session expired" from "never signed in": a token that is not good
    is a 401 with a reason, over every route, never quietly anonymous."""
    headers = [b"Bearer nope", b"Bearer " + b"x" * 5000, b"Basic abc", b"Bearer",
               "Bearer \xf0\xf8".encode("latin-1")]
    for header in headers:
        for path in ("/graphql", "/export/reports.csv"):
            response = await api.client.request(
                "POST" if path == "/graphql" else "GET", path, json={"query": ME},
                headers={b"Authorization": header})
            assert response.status_code == 401, (header, path)
            error = response.json()["errors"][0]
            assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_INVALID"}
    # No header at all is anonymous, as always.
    assert (await api.gql(ME))["me"] is None


CREATE_STAFF = """mutation($input: CreateStaffAccountInput!) { createStaffAccount(input: $input) {
  user { role phone agency { name } } errors { code field } } }"""
CREATE_AGENCY = """mutation($input: CreateAgencyInput!) { createAgency(input: $input) {
  agency { id code name kind level parent { code } } errors { code field } } }"""
UPDATE_AGENCY = """mutation($input: UpdateAgencyInput!) { updateAgency(input: $input) {
  agency { name level parent { code } } errors { code field } } }"""
CREATE_CATEGORY = """mutation($input: CreateCategoryInput!) { createCategory(input: $input) {
  category { code name } errors { code field } } }"""


async def test_admin_creates_staff_agencies_and_categories(api: Api, world: World):
    token = world.admin.token
    staff = (await api.gql(CREATE_STAFF, {"input": {
        "phone": "0935 000 111", "password": "cán bộ phường 1", "displayName": "Cán bộ Phú Hội",
        "role": "AGENCY_STAFF", "agencyId": gid("Agency", world.agency_b.id)}}, token))
    assert staff["createStaffAccount"]["errors"] == []
    assert staff["createStaffAccount"]["user"]["agency"]["name"] == world.agency_b.name
    missing_agency = await api.gql(CREATE_STAFF, {"input": {
        "phone": "0935 000 112", "password": "cán bộ phường 1", "displayName": "Cán bộ",
        "role": "AGENCY_STAFF"}}, token)
    assert missing_agency["createStaffAccount"]["errors"] == [
        {"code": "VALIDATION", "field": "agencyId"}]

    district = await api.gql(CREATE_AGENCY, {"input": {
        "code": "q-thuanhoa", "name": "UBND quận Thuận Hóa", "kind": "GOVERNMENT",
        "level": "DISTRICT"}}, token)  # abolished on 1 July 2025
    assert district["createAgency"]["errors"] == [{"code": "VALIDATION", "field": "level"}]
    parent = (await api.gql(CREATE_AGENCY, {"input": {
        "code": "snnmt", "name": "Sở Nông nghiệp và Môi trường", "kind": "GOVERNMENT",
        "level": "PROVINCE"}}, token))["createAgency"]
    assert parent["agency"]["code"] == "SNNMT"
    child = (await api.gql(CREATE_AGENCY, {"input": {
        "code": "CCBVMT", "name": "Chi cục Bảo vệ môi trường", "kind": "GOVERNMENT",
        "level": "PROVINCE", "parentId": parent["agency"]["id"]}}, token))["createAgency"]
    assert child["agency"]["parent"] == {"code": "SNNMT"}
    dup = await api.gql(CREATE_AGENCY, {"input": {
        "code": "CCBVMT", "name": "Trùng", "kind": "GOVERNMENT", "level": "PROVINCE"}}, token)
    assert dup["createAgency"]["errors"] == [{"code": "CONFLICT", "field": "code"}]
    cycle = await api.gql(UPDATE_AGENCY, {"input": {"id": parent["agency"]["id"],
                                                    "parentId": child["agency"]["id"]}}, token)
    assert cycle["updateAgency"]["errors"] == [{"code": "VALIDATION", "field": "parentId"}]
    renamed = await api.gql(UPDATE_AGENCY, {"input": {"id": child["agency"]["id"],
                                                      "name": "Chi cục Môi trường (mới)",
                                                      "parentId": None}}, token)
    assert renamed["updateAgency"]["agency"] == {"name": "Chi cục Môi trường (mới)",
                                                 "level": "PROVINCE", "parent": None}
    to_district = await api.gql(UPDATE_AGENCY, {"input": {"id": child["agency"]["id"],
                                                          "level": "DISTRICT"}}, token)
    assert to_district["updateAgency"]["errors"] == [{"code": "VALIDATION", "field": "level"}]
    category = await api.gql(CREATE_CATEGORY, {"input": {"code": "cay-xanh",
                                                         "name": "Cây xanh đô thị"}}, token)
    assert category["createCategory"]["category"] == {"code": "CAY-XANH",
                                                      "name": "Cây xanh đô thị"}


async def test_only_admins_manage(api: Api, world: World):
    for who in (world.ioc, world.citizen, world.staff_a):
        data = await api.gql(CREATE_CATEGORY, {"input": {"code": "X1", "name": "Thử"}}, who.token)
        assert data["createCategory"]["errors"] == [{"code": "FORBIDDEN", "field": None}]
        data = await api.gql(CREATE_STAFF, {"input": {
            "phone": "0935000113", "password": "mật khẩu dài", "displayName": "IOC giả",
            "role": "IOC_OPERATOR"}}, who.token)
        assert data["createStaffAccount"]["errors"][0]["code"] == "FORBIDDEN"
    data = await api.gql(CREATE_CATEGORY, {"input": {"code": "X1", "name": "Thử"}})
    assert data["createCategory"]["errors"][0]["code"] == "UNAUTHENTICATED"
    assert not await User.filter(role=Role.IOC_OPERATOR, phone="+84935000113").exists()


async def test_deactivated_accounts_are_signed_out(api: Api, world: World):
    assert (await api.gql(ME, token=world.citizen.token))["me"] is not None
    await User.filter(id=world.citizen.id).update(is_active=False)
    assert await api.token_refused(world.citizen.token) == "ACCOUNT_DISABLED"
