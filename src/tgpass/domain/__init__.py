"""Pure rules of tgpass: accounts, Telegram links, one-time codes. No I/O."""
