"""``python -m kinyu.cli``: what launchers run (``torchrun -m kinyu.cli train``, ``deepspeed --module kinyu.cli``)."""

import sys

from kinyu.cli import main

sys.exit(main())
