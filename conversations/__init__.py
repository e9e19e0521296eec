"""The customer channel: conversations, their messages, and the bot behind them."""
