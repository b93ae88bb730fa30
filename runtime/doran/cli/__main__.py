from doran.cli import main

main()
