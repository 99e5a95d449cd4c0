#!/usr/bin/env python3
"""Runs clang's thread-safety analysis over the toolkit's sources.

The CI builds everything with g++ (the asan preset), which ignores the
GUARDED_BY/REQUIRES annotations of src/core/thread_annotations.h. This check
takes each toolkit source's compile command from a build directory's
compile_commands.json, swaps the compiler for clang++ and only parses it
(-fsyntax-only), so a missed lock is an error without a second full build.
A unity batch (SCALELAB_UNITY_BUILD) stands for the sources it includes:
each is checked on its own, which also catches an include a file lacks.

  check_thread_safety.py BUILD_DIR [--clang clang++] [--jobs N] [FILE...]

FILE... limits the check to those sources (paths as in the database).
Exit status: 0 when every file passes, 1 when one does not, 2 on bad usage.
"""
import argparse
import functools
import json
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

# The layers whose mutex-guarded state is annotated.
TOOLKIT_DIRS = ("core", "obs", "http", "resilience", "faultproxy", "store", "load")
# GCC-only options clang rejects or warns about.
GCC_ONLY = ("-fcoroutines", "-Wno-mismatched-new-delete", "-Wno-subobject-linkage")
CLANG_FLAGS = ["-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety"]


ANNOTATIONS = "core/thread_annotations.h"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def uses_annotations(path, src_dir):
    """Whether path includes the annotations header, directly or through
    the project's own headers (the others have nothing to check)."""

    @functools.lru_cache(maxsize=None)
    def reaches(header):
        full = os.path.join(src_dir, header)
        if not os.path.isfile(full):
            return False
        with open(full, errors="replace") as f:
            return any(h == ANNOTATIONS or reaches(h) for h in INCLUDE.findall(f.read()))

    with open(path, errors="replace") as f:
        return any(h == ANNOTATIONS or reaches(h) for h in INCLUDE.findall(f.read()))


def toolkit_file(path, source_root):
    rel = os.path.relpath(path, os.path.join(source_root, "src"))
    return rel.split(os.sep)[0] in TOOLKIT_DIRS and not rel.startswith("..")


UNITY_SOURCE = re.compile(r"/Unity/unity_[0-9]+_cxx\.cxx$")


def expand_unity(db):
    """The database with each unity batch replaced by one entry per source
    it includes, compiled with the batch's command."""
    out = []
    for e in db:
        path = os.path.abspath(os.path.join(e["directory"], e["file"]))
        if not UNITY_SOURCE.search(path):
            out.append(e)
            continue
        with open(path, errors="replace") as f:
            sources = INCLUDE.findall(f.read())
        for src in sources:
            command = e["command"] if "command" in e else shlex.join(e["arguments"])
            out.append({"directory": e["directory"], "file": src,
                        "command": command.replace(e["file"], src)})
    return out


def clang_command(entry, clang):
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out = [clang]
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a == "-o":  # nothing is written
            skip = True
            continue
        if a in GCC_ONLY:
            continue
        out.append(a)
    return out + CLANG_FLAGS


def check(entry, clang):
    cmd = clang_command(entry, clang)
    done = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
    return entry["file"], done.returncode, done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir")
    parser.add_argument("files", nargs="*")
    parser.add_argument("--clang", default="clang++")
    parser.add_argument("--jobs", type=int, default=2)
    opts = parser.parse_args()

    db_path = os.path.join(opts.build_dir, "compile_commands.json")
    try:
        with open(db_path) as f:
            db = json.load(f)
    except OSError as e:
        print(f"check_thread_safety: cannot read {db_path}: {e}", file=sys.stderr)
        return 2
    source_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    wanted = {os.path.abspath(f) for f in opts.files}
    entries, seen = [], set()
    for e in expand_unity(db):
        path = os.path.abspath(os.path.join(e["directory"], e["file"]))
        if path in seen or not toolkit_file(path, source_root):
            continue
        if not uses_annotations(path, os.path.join(source_root, "src")):
            continue
        if wanted and path not in wanted:
            continue
        seen.add(path)
        entries.append(e)
    if not entries:
        print("check_thread_safety: no toolkit sources in " + db_path, file=sys.stderr)
        return 2

    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for path, rc, err in pool.map(lambda e: check(e, opts.clang), entries):
            if rc != 0:
                failed += 1
                print(f"FAIL {os.path.relpath(path, source_root)}\n{err}", file=sys.stderr)
    print(f"thread-safety analysis: {len(entries) - failed} of {len(entries)} toolkit sources pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
