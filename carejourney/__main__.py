from carejourney.cli import main

main()
