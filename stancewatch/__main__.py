from stancewatch.cli import main

main()
