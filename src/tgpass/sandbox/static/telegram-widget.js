/* tgpass sandbox: a drop-in for Telegram's telegram-widget.js (Login Widget).
 * Honours data-telegram-login, data-auth-url, data-onauth, data-request-access, data-size.
 * The person picks a simulated account; the site receives fields signed with its bot's token,
 * exactly as from Telegram. Only the script's URL differs from the real thing. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src, location.href).origin;
  var bot = script.getAttribute("data-telegram-login");
  var authUrl = script.getAttribute("data-auth-url");
  var onAuth = script.getAttribute("data-onauth");
  var access = script.getAttribute("data-request-access");
  var size = script.getAttribute("data-size") || "large";

  // The sandbox's errors carry a message for people; anything else gets words of ours.
  var GONE = "The sandbox Telegram does not answer. Is it still running?";
  var BROKE = "Something went wrong in the sandbox Telegram; its log tells what.";
  function call(path, body) {
    return fetch(origin + "/sandbox/api" + path, {
      method: body ? "POST" : "GET",
      headers: body ? {"Content-Type": "application/json"} : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (d) {
        if (!r.ok) throw new Error(d && d.error ? d.error.message : BROKE);
        return d;
      });
    }, function () { throw new Error(GONE); });
  }

  function deliver(fields) {
    if (onAuth) {
      var user = {};
      Object.keys(fields).forEach(function (k) {
        user[k] = (k === "id" || k === "auth_date") ? Number(fields[k]) : fields[k];
      });
      new Function("user", onAuth)(user); // what Telegram's widget does with data-onauth
      return;
    }
    if (authUrl) {
      var target = new URL(authUrl, location.href);
      Object.keys(fields).forEach(function (k) { target.searchParams.set(k, fields[k]); });
      location.href = target.toString();
    }
  }

  function chooser() {
    var veil = document.createElement("div");
    veil.setAttribute("data-testid", "tg-widget-chooser");
    veil.style.cssText = "position:fixed;inset:0;background:#0006;display:flex;align-items:center;justify-content:center;z-index:99999;font:15px system-ui,sans-serif";
    var box = document.createElement("div");
    box.style.cssText = "background:#fff;border-radius:10px;padding:16px;min-width:280px;max-width:90vw";
    box.innerHTML = "<b>Log in to the site with Telegram</b><p style='color:#666;margin:.4em 0'>Sandbox: pick an account" +
      (access === "write" ? " (the bot may message you)" : "") + "</p>";
    var list = document.createElement("div");
    box.appendChild(list);
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.textContent = "Cancel";
    cancel.onclick = function () { veil.remove(); };
    box.appendChild(cancel);
    veil.appendChild(box);
    document.body.appendChild(veil);
    call("/users").then(function (users) {
      users.forEach(function (u) {
        var b = document.createElement("button");
        b.type = "button";
        b.setAttribute("data-testid", "tg-widget-account-" + u.id);
        b.textContent = [u.first_name, u.last_name].filter(Boolean).join(" ") + (u.username ? " (@" + u.username + ")" : "");
        b.style.cssText = "display:block;width:100%;margin:4px 0;padding:8px;text-align:left;cursor:pointer";
        b.onclick = function () {
          call("/users/" + u.id + "/widget_login", {bot: bot}).then(function (fields) {
            veil.remove(); deliver(fields);
          }, function (e) { alert(e.message); });
        };
        list.appendChild(b);
      });
    }, function (e) { list.textContent = e.message; });
  }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "tgpass-sandbox-login";
  button.setAttribute("data-testid", "tg-login");
  button.textContent = "Log in with Telegram";
  var pad = size === "small" ? "4px 10px" : size === "medium" ? "7px 14px" : "10px 20px";
  button.style.cssText = "background:#54a9eb;color:#fff;border:0;border-radius:20px;font:500 15px system-ui,sans-serif;cursor:pointer;padding:" + pad;
  button.onclick = chooser;
  script.parentNode.insertBefore(button, script.nextSibling);
})();
