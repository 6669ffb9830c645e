"""One module per `allkg` subcommand. Each defines `register(subparsers)` and imports heavy
libraries only inside the function that runs the command."""
