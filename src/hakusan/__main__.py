from hakusan.cli import main

main()
