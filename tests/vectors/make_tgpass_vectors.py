"""Compute tests/vectors/tgpass.json with a reference written straight from Telegram's docs.

It imports nothing of tgpass, so the vectors check tgpass rather than echo it.
Run: python tests/vectors/make_tgpass_vectors.py > tests/vectors/tgpass.json
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

WEBAPP_TOKEN = "7000000001:AAF-computed-vectors_for_tgpass"
SEED = bytes(range(32))  # a fixed Ed25519 seed: deterministic signatures


def check_string(pairs, exclude):
    return "\n".join(f"{k}={v}" for k, v in sorted(pairs.items()) if k not in exclude)


def init_data(pairs, token, signing_key=None):
    pairs = dict(pairs)
    bot_id = int(token.split(":")[0])
    if signing_key is not None:
        message = f"{bot_id}:WebAppData\n" + check_string(pairs, {"hash", "signature"})
        sig = signing_key.sign(message.encode())
        pairs["signature"] = base64.urlsafe_b64encode(sig).decode().rstrip("=")
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    pairs["hash"] = hmac.new(secret, check_string(pairs, {"hash"}).encode(), "sha256").hexdigest()
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs.items())


def widget(pairs, token):
    secret = hashlib.sha256(token.encode()).digest()
    digest = hmac.new(secret, check_string(pairs, {"hash"}).encode(), "sha256").hexdigest()
    return {**pairs, "hash": digest}


def main():
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    public_hex = key.public_key().public_bytes_raw().hex()
    group = {
        "query_id": "AAG_group_query",
        "user": '{"id":9007199254740993,"first_name":"Ян","username":"yan","is_premium":true}',
        "receiver": '{"id":7000000001,"is_bot":true,"first_name":"Shop bot","username":"shop_bot"}',
        "chat": '{"id":-1001234567890,"type":"supergroup","title":"Café & Co","username":"cafe"}',
        "chat_type": "supergroup",
        "chat_instance": "-9223372036854775808",
        "start_param": "promo_2026-11",
        "can_send_after": "15",
        "feature_added_later": '{"x":1}',
        "auth_date": "1767225600",
    }
    raw_group = init_data(group, WEBAPP_TOKEN)
    # '+' in the raw string is a space under form rules; %2B is a plus.
    plus = {"auth_date": "1767225600", "query_id": "q", "note": "a b+c"}
    raw_plus = init_data(plus, WEBAPP_TOKEN).replace("a%20b", "a+b")
    signed = {
        "auth_date": "1767225600",
        "query_id": "AAH_sandbox",
        # Telegram escapes slashes in JSON; the hash covers the escaped form.
        "user": '{"id":5000000001,"first_name":"Sandbox",'
        '"photo_url":"https:\\/\\/t.me\\/i\\/a.jpg"}',
    }
    raw_signed = init_data(signed, WEBAPP_TOKEN, signing_key=key)
    vectors = {
        "description": "Computed by tests/vectors/make_tgpass_vectors.py, independent of tgpass.",
        "init_data": [
            {
                "name": "group launch: receiver, chat, can_send_after, a field added later",
                "bot_token": WEBAPP_TOKEN,
                "raw": raw_group,
                "now": 1767225630,
                "valid": True,
                "expect": {
                    "user.id": 9007199254740993,
                    "user.first_name": "Ян",
                    "receiver.is_bot": True,
                    "chat.id": -1001234567890,
                    "chat.title": "Café & Co",
                    "chat_instance": "-9223372036854775808",
                    "start_param": "promo_2026-11",
                    "can_send_after": 15,
                    "extra.feature_added_later": '{"x":1}',
                },
            },
            {
                "name": "form rules: '+' decodes to a space before hashing",
                "bot_token": WEBAPP_TOKEN,
                "raw": raw_plus,
                "now": 1767225630,
                "valid": True,
                "expect": {"extra.note": "a b+c"},
            },
            {
                "name": "a day and a second old",
                "bot_token": WEBAPP_TOKEN,
                "raw": raw_group,
                "now": 1767225600 + 86401,
                "valid": False,
                "error_code": "expired",
            },
            {
                "name": "signed two minutes in the future",
                "bot_token": WEBAPP_TOKEN,
                "raw": raw_group,
                "now": 1767225600 - 120,
                "valid": False,
                "error_code": "auth_date_in_future",
            },
            {
                "name": "HMAC over a payload that also carries an Ed25519 signature",
                "bot_token": WEBAPP_TOKEN,
                "raw": raw_signed,
                "now": 1767225630,
                "valid": True,
                "expect": {"user.photo_url": "https://t.me/i/a.jpg"},
            },
        ],
        "third_party": [
            {
                "name": "Ed25519 by a fixed test key, bot id from the token",
                "bot_id": 7000000001,
                "public_key": public_hex,
                "raw": raw_signed,
                "now": 1767225630,
                "valid": True,
                "expect": {"user.id": 5000000001, "query_id": "AAH_sandbox"},
            },
            {
                "name": "same, with base64 padding added to the signature",
                "bot_id": 7000000001,
                "public_key": public_hex,
                # signature is the field just before hash
                "raw": raw_signed.replace("&hash=", "==&hash=", 1),
                "now": 1767225630,
                "valid": True,
                "expect": {"user.id": 5000000001},
            },
        ],
        "login_widget": [
            {
                "name": "widget with every field, non-ASCII last name",
                "bot_token": WEBAPP_TOKEN,
                "fields": widget(
                    {
                        "id": "9007199254740993",
                        "first_name": "Ян",
                        "last_name": "Нов & Co",
                        "username": "yan",
                        "photo_url": "https://t.me/i/userpic/320/yan.jpg",
                        "auth_date": "1767225600",
                    },
                    WEBAPP_TOKEN,
                ),
                "now": 1767225630,
                "valid": True,
                "expect": {"id": 9007199254740993, "last_name": "Нов & Co"},
            },
        ],
    }
    print(json.dumps(vectors, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
