"""``python -m vagent`` runs the command line."""

from vagent.cli import main

main()
