/* tgpass sandbox: a drop-in for Telegram's telegram-web-app.js. Reads the launch parameters
 * from the URL fragment (#tgWebAppData=...), as Telegram's own script does, and offers the
 * parts of window.Telegram.WebApp that sites use to sign in. */
(function () {
  "use strict";
  var hash = new URLSearchParams(location.hash.slice(1));
  var initData = hash.get("tgWebAppData") || "";
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (value, key) {
    if (key === "user" || key === "receiver" || key === "chat") {
      try { unsafe[key] = JSON.parse(value); } catch (e) { /* keep it out */ }
    } else if (key === "auth_date" || key === "can_send_after") unsafe[key] = Number(value);
    else unsafe[key] = value;
  });
  var handlers = {};
  function emit(event) { (handlers[event] || []).forEach(function (f) { f(); }); }
  function toParent(message) {
    message.tgpassSandbox = message.tgpassSandbox || "event";
    if (window.parent !== window) window.parent.postMessage(message, "*");
  }
  function button(name) {
    var clicks = [];
    var self = {
      text: name, isVisible: false, isActive: true,
      setText: function (t) { self.text = t; return self; },
      show: function () { self.isVisible = true; return self; },
      hide: function () { self.isVisible = false; return self; },
      enable: function () { self.isActive = true; return self; },
      disable: function () { self.isActive = false; return self; },
      onClick: function (f) { clicks.push(f); return self; },
      offClick: function (f) { clicks = clicks.filter(function (g) { return g !== f; }); return self; },
      click: function () { clicks.forEach(function (f) { f(); }); },
      setParams: function (p) { if (p && p.text) self.text = p.text; return self; },
    };
    return self;
  }
  var webApp = {
    initData: initData,
    initDataUnsafe: unsafe,
    version: hash.get("tgWebAppVersion") || "9.1",
    platform: hash.get("tgWebAppPlatform") || "web",
    colorScheme: "light",
    themeParams: {},
    isExpanded: true,
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    MainButton: button("CONTINUE"),
    SecondaryButton: button(""),
    BackButton: button(""),
    HapticFeedback: { impactOccurred: function () {}, notificationOccurred: function () {}, selectionChanged: function () {} },
    ready: function () { toParent({tgpassSandbox: "ready"}); },
    expand: function () { webApp.isExpanded = true; },
    close: function () { toParent({tgpassSandbox: "close"}); },
    sendData: function (data) { toParent({tgpassSandbox: "sendData", data: String(data)}); },
    openLink: function (url) { window.open(url, "_blank"); },
    openTelegramLink: function (url) { toParent({tgpassSandbox: "openTelegramLink", url: url}); },
    showAlert: function (message, callback) { alert(message); if (callback) callback(); },
    showConfirm: function (message, callback) { var ok = confirm(message); if (callback) callback(ok); },
    onEvent: function (event, f) { (handlers[event] = handlers[event] || []).push(f); },
    offEvent: function (event, f) { handlers[event] = (handlers[event] || []).filter(function (g) { return g !== f; }); },
    isVersionAtLeast: function () { return true; },
  };
  window.addEventListener("resize", function () { webApp.viewportHeight = window.innerHeight; emit("viewportChanged"); });
  window.Telegram = window.Telegram || {};
  window.Telegram.WebApp = webApp;
})();
