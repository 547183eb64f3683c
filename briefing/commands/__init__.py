"""The commands: one module per `briefing` command. Only these modules parse arguments or print.

Each module has `add_parser(subparsers)`, which declares its command (or commands) and sets
`func` to the function that runs it, and `run(args) -> int`. The library below never imports
this package; `briefing/cli.py` builds the parser from these modules and reports errors.
"""
