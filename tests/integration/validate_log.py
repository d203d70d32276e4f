#!/usr/bin/python3
"""Validates JSON-lines logs against the flow-log JSON Schema.

Usage: validate_log.py SCHEMA LOG...   (exit 1 and one message per bad line)
"""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    total = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                total += 1
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    print(f"{path}:{number}: not JSON: {e}")
                    bad += 1
                    continue
                errors = list(validator.iter_errors(record))
                for error in errors:
                    where = "/".join(str(p) for p in error.absolute_path) or "(line)"
                    print(f"{path}:{number}: {where}: {error.message}")
                bad += bool(errors)
    if total == 0:
        print("no lines to validate")
        return 1
    print(f"{total - bad}/{total} lines valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
