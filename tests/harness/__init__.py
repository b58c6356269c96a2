"""What the tests of the service, the web app, the Telegram side and the command line share:
settings on each backend, a running site, a recording Telegram."""
