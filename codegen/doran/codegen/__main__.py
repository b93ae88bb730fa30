from doran.codegen.cli import main

main()
