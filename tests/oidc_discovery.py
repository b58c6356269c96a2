"""OpenID Connect Discovery 1.0 §3 as a JSON schema: the REQUIRED members of a provider's
metadata, and the types of the others. Both providers here (tgpass's and the sandbox's
stand-in for Telegram's) are checked against it."""

from __future__ import annotations

from typing import Any

import jsonschema


def check_provider_metadata(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(PROVIDER_METADATA)
    jsonschema.validate(document, PROVIDER_METADATA, cls=jsonschema.Draft202012Validator)


URL = {"type": "string", "pattern": r"^https?://[^\s?#]+$"}
STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
PROVIDER_METADATA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ],
    "properties": {
        "issuer": URL,
        "authorization_endpoint": URL,
        "token_endpoint": URL,
        "userinfo_endpoint": URL,
        "jwks_uri": URL,
        "registration_endpoint": URL,
        "end_session_endpoint": URL,
        "revocation_endpoint": URL,
        "scopes_supported": {**STRINGS, "contains": {"const": "openid"}},
        "response_types_supported": {**STRINGS, "minItems": 1},
        "response_modes_supported": STRINGS,
        "grant_types_supported": STRINGS,
        "acr_values_supported": STRINGS,
        "subject_types_supported": {
            **STRINGS,
            "minItems": 1,
            "items": {"enum": ["public", "pairwise"]},
        },
        "id_token_signing_alg_values_supported": {**STRINGS, "contains": {"const": "RS256"}},
        "userinfo_signing_alg_values_supported": STRINGS,
        "token_endpoint_auth_methods_supported": STRINGS,
        "revocation_endpoint_auth_methods_supported": STRINGS,
        "code_challenge_methods_supported": STRINGS,
        "prompt_values_supported": STRINGS,
        "display_values_supported": STRINGS,
        "claim_types_supported": STRINGS,
        "claims_supported": STRINGS,
        "claims_parameter_supported": {"type": "boolean"},
        "request_parameter_supported": {"type": "boolean"},
        "request_uri_parameter_supported": {"type": "boolean"},
        "require_request_uri_registration": {"type": "boolean"},
        "authorization_response_iss_parameter_supported": {"type": "boolean"},  # RFC 9207
    },
}
