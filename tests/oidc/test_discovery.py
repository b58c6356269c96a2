"""The discovery document against OpenID Connect Discovery 1.0 §3 (as a JSON schema), and
the JWKS: every key loads with joserfc, public parts only, one per algorithm offered."""

from __future__ import annotations

from joserfc.jwk import KeySet, import_key

from tests.oidc_discovery import check_provider_metadata

from .conftest import Site

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


async def test_the_discovery_document_follows_the_spec(site: Site) -> None:
    async with site.client() as http:
        answer = await http.get("/.well-known/openid-configuration")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    check_provider_metadata(document)
    # §4.3: the issuer is the URL the document was fetched under, less the well-known path
    assert document["issuer"] == site.issuer
    assert all(
        document[name].startswith(site.issuer)
        for name in document
        if name.endswith("_endpoint") or name == "jwks_uri"
    )
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    # what is not supported is said so: a request object would be ignored
    assert document["request_uri_parameter_supported"] is False
    assert document["authorization_response_iss_parameter_supported"] is True  # RFC 9207
    assert {"telegram_id", "roles", "karma", "chats"} <= set(document["claims_supported"])


async def test_every_published_key_loads_and_is_public(site: Site) -> None:
    async with site.client() as http:
        document = (await http.get("/.well-known/openid-configuration")).json()
        answer = await http.get(document["jwks_uri"].removeprefix(site.issuer))
    assert answer.status_code == 200
    jwks = answer.json()
    assert set(jwks) == {"keys"}
    kids = [key["kid"] for key in jwks["keys"]]
    assert len(kids) == len(set(kids)) == 2
    for member in jwks["keys"]:
        assert not PRIVATE_MEMBERS & set(member), member
        assert member["use"] == "sig"
        key = import_key(member)
        assert not key.is_private
        assert key.kid == member["kid"]
        assert (member["kty"], member["alg"]) in {("RSA", "RS256"), ("EC", "ES256")}
    assert {m["alg"] for m in jwks["keys"]} == set(
        document["id_token_signing_alg_values_supported"]
    )
    assert len(KeySet.import_key_set(jwks).keys) == 2
