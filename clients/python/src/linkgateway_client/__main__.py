"""python3 -m linkgateway_client: the CLI."""

import sys

from linkgateway_client.cli import main

sys.exit(main())
