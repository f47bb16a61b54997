"""`python -m etl`: the ETL command line."""

from etl.cli import main

if __name__ == "__main__":
    main()
