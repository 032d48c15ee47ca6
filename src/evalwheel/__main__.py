from evalwheel.cli.app import main

main()
