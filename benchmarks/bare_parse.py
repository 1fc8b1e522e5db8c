"""The floor of the clinic-wide budgets: a bare loop that only parses every chart with tomllib."""

import os
import sys
import tomllib

folder = os.path.join(sys.argv[1], "patients")
for name in os.listdir(folder):
    with open(os.path.join(folder, name), "rb") as handle:
        tomllib.load(handle)
