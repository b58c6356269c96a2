/* tgpass sandbox: a drop-in for Telegram's telegram-login.js (Telegram Login's JS library,
 * core.telegram.org/bots/telegram-login). The same API:
 *   Telegram.Login.init({client_id, request_access, lang, nonce}, callback)
 *   Telegram.Login.open([callback])   Telegram.Login.auth(options, callback)   Telegram.Login.close()
 * the <script data-client-id data-request-access data-lang data-onauth> auto-init, and any
 * .tg-auth-button opening the popup. The popup is the issuer's /auth with
 * response_type=post_message; the user answers on the sandbox's phone, whose last page posts
 * {event: "auth_result", result: <id_token>} (or error) back. The callback gets
 * {id_token, user} (user: the token's claims, decoded, not verified) or {error}; closing the
 * popup gives {error: "popup_closed"}. The issuer is where this script was loaded from:
 * <issuer>/js/telegram-login.js. Only the script's URL differs from the real thing. */
(function (window) {
  "use strict";
  var document = window.document;
  var script = document.currentScript;
  var source = new URL(script && script.src ? script.src : "https://oauth.telegram.org/js/telegram-login.js", location.href);
  var ISSUER = new URL("../", source).href.replace(/\/$/, "");
  var ORIGIN = source.origin;
  var POPUP_NAME = "telegram_oidc_login";

  var options = null;       // from init
  var initCallback = null;  // from init: told of every login's end
  var popup = null;
  var finish = null;        // ends the login under way, once
  var listener = null;

  // The claims of a JWT, as text decoded from UTF-8 (names are not only ASCII).
  function claimsOf(token) {
    var parts = String(token).split(".");
    if (parts.length !== 3) return null;
    try {
      var b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
      while (b64.length % 4) b64 += "=";
      var bytes = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
      var claims = JSON.parse(new TextDecoder("utf-8", {fatal: true}).decode(bytes));
      return claims && typeof claims === "object" ? claims : null;
    } catch (e) {
      return null;
    }
  }

  function resultOf(data) {
    if (data.error) return {error: String(data.error)};
    if (typeof data.result !== "string" || !data.result) return {error: "missing id_token"};
    var user = claimsOf(data.result);
    return user ? {id_token: data.result, user: user} : {error: "malformed id_token"};
  }

  function scopesOf(access) {
    var scopes = ["openid", "profile"];
    var asked = typeof access === "string" ? access.split(/\s+/) : (access || []);
    if (asked.indexOf("phone") >= 0) scopes.push("phone");
    if (asked.indexOf("write") >= 0) scopes.push("telegram:bot_access");
    return scopes;
  }

  function stopListening() {
    if (listener) window.removeEventListener("message", listener);
    listener = null;
  }

  function openPopup(opts, callback) {
    if (!opts || !opts.client_id) throw new Error("client_id is required");
    if (finish) finish(null);  // a login still under way gives way to this one, silently
    var query = new URLSearchParams({
      response_type: "post_message",
      client_id: String(opts.client_id),
      redirect_uri: location.origin + location.pathname,
      scope: scopesOf(opts.request_access).join(" "),
    });
    if (opts.nonce) query.set("nonce", String(opts.nonce));
    if (opts.lang) query.set("lang", String(opts.lang));

    var done = false;
    var end = function (result) {
      if (done) return;
      done = true;
      finish = null;
      stopListening();
      if (!result) return;
      if (initCallback) initCallback(result);
      if (callback) callback(result);
    };
    finish = end;
    listener = function (event) {
      if (event.origin !== ORIGIN) return;  // only the issuer's page speaks for the login
      if (popup && event.source !== popup) return;
      var data = event.data;
      if (typeof data === "string") {
        try { data = JSON.parse(data); } catch (e) { return; }
      }
      if (data && data.event === "auth_result") end(resultOf(data));
    };
    window.addEventListener("message", listener);

    var width = 550, height = 650;
    var left = Math.max(0, (screen.width - width) / 2) + (screen.availLeft | 0);
    var top = Math.max(0, (screen.height - height) / 2) + (screen.availTop | 0);
    popup = window.open(
      ISSUER + "/auth?" + query.toString(), POPUP_NAME,
      "width=" + width + ",height=" + height + ",left=" + left + ",top=" + top +
      ",status=0,location=0,menubar=0,toolbar=0");
    if (!popup) return;
    popup.focus();
    (function watch() {
      if (done) return;
      // the answer's message may still be on its way when the popup has just closed
      if (!popup || popup.closed) { setTimeout(function () { end({error: "popup_closed"}); }, 300); return; }
      setTimeout(watch, 200);
    })();
  }

  function styleButtons() {
    if (!document.getElementById("tg-auth-button-style")) {
      var style = document.createElement("style");
      style.id = "tg-auth-button-style";
      style.textContent =
        ".tg-auth-button{display:inline-flex;align-items:center;gap:6px;height:44px;padding:0 28px;" +
        "border:0;border-radius:22px;background:#119af5;color:#fff;cursor:pointer;" +
        "font:600 16px -apple-system,system-ui,Roboto,Arial,sans-serif}" +
        ".tg-auth-button:hover{background:#1090e5}" +
        ".tg-auth-button[data-style~=square]{border-radius:5px}" +
        ".tg-auth-button[data-style~=outlined]{background:transparent;color:#000;border:1px solid #0000000f}" +
        ".tg-auth-button[disabled]{opacity:.6;cursor:default}";
      (document.head || document.documentElement).appendChild(style);
    }
    var buttons = document.querySelectorAll(".tg-auth-button");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      if (!button.hasAttribute("role")) button.setAttribute("role", "button");
      if (!button.hasAttribute("tabindex")) button.setAttribute("tabindex", "0");
      if (!button.hasAttribute("aria-label")) button.setAttribute("aria-label", "Log in with Telegram");
    }
  }

  var Login = {
    init: function (opts, callback) {
      styleButtons();
      if (!opts || !opts.client_id) throw new Error("options.client_id is required");
      options = opts;
      initCallback = callback || null;
    },
    open: function (callback) {
      if (!options) throw new Error("Call Telegram.Login.init() first");
      openPopup(options, callback);
    },
    auth: function (opts, callback) {
      if (!opts || !opts.client_id) throw new Error("options.client_id is required");
      openPopup(opts, callback);
    },
    close: function () {
      if (popup && !popup.closed) popup.close();
      popup = null;
      if (finish) finish(null);
    },
  };

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest(".tg-auth-button") : null;
    if (button && !button.disabled && options) Login.open();
  });

  window.Telegram = window.Telegram || {};
  window.Telegram.Login = Login;

  function autoInit() {
    styleButtons();
    var clientId = script && script.getAttribute("data-client-id");
    if (!clientId) return;
    var opts = {client_id: clientId};
    var lang = script.getAttribute("data-lang");
    if (lang) opts.lang = lang;
    var access = script.getAttribute("data-request-access");
    if (access) opts.request_access = access.trim().split(/\s+/);
    var onAuth = script.getAttribute("data-onauth");
    var callback = onAuth ? function (data) { new Function("data", onAuth)(data); } : null;
    Login.init(opts, callback);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoInit);
  else autoInit();
})(window);
