"""spark-submit entry point: ``spark-submit [options] submit.py --input PATH --output PATH``.

Spark runs this file as a script, so it imports the package absolutely; the
master and resources come from spark-submit (see docs/spark.md).
"""

import sys

from consilience.spark.job import main

if __name__ == "__main__":
    sys.exit(main())
