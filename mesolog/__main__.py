from mesolog.cli import main

main()
