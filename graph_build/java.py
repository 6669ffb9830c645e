"""Finding the Java runtime that runs the OWL reasoner, and checking that it is recent enough.

HermiT (bundled with owlready2) needs Java 11 or newer; the bundled Pellet needs a newer Java
still, so it is only a fallback. The version is read from the JDK's `release` file when there
is one (no JVM start, which costs time on every build) and from `java -version` otherwise.

Which `java`: $ALLKG_JAVA (a path to the executable) if set, else $JAVA_HOME/bin/java, else
`java` on PATH.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from graph_build.errors import AllkgError

HERMIT_MIN_JAVA = 11
PELLET_MIN_JAVA = 21  # owlready2 0.51's Pellet build fails on Java 17
EXIT_NO_JAVA = 3  # dedicated: the input is fine, a dependency of the machine is missing
INSTALL_HINT = (
    "install Java {minimum} or newer (Debian/Ubuntu: apt-get install default-jre-headless; "
    "or set ALLKG_JAVA to a java executable), or run `allkg build --no-reason` to build without reasoning"
)


class JavaUnavailable(AllkgError):
    """No usable Java: the message says what to install and how to build without reasoning."""

    exit_code = EXIT_NO_JAVA


@dataclass(frozen=True)
class JavaRuntime:
    executable: str
    major: int
    version: str

    @property
    def supports_pellet(self) -> bool:
        return self.major >= PELLET_MIN_JAVA


def _major(version: str) -> int | None:
    """'17.0.15' -> 17; '1.8.0_392' -> 8; '21' -> 21."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    if not match:
        return None
    first = int(match.group(1))
    if first == 1 and match.group(2):
        return int(match.group(2))
    return first


def _version_from_release_file(executable: str) -> str | None:
    home = Path(os.path.realpath(executable)).parent.parent
    try:
        text = (home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else None


def _version_from_java(executable: str) -> str | None:
    try:
        result = subprocess.run([executable, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', result.stderr + result.stdout)
    return match.group(1) if match else None


def locate_java() -> str | None:
    """The java executable to use, or None when there is none."""
    explicit = os.environ.get("ALLKG_JAVA")
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def find_java(minimum: int = HERMIT_MIN_JAVA) -> JavaRuntime:
    """The Java runtime to reason with, or JavaUnavailable with a one-line message."""
    hint = INSTALL_HINT.format(minimum=minimum)
    executable = locate_java()
    if executable is None:
        where = f"ALLKG_JAVA={os.environ['ALLKG_JAVA']} is not an executable" if os.environ.get("ALLKG_JAVA") \
            else "no `java` found on PATH"
        raise JavaUnavailable(f"the OWL reasoner (HermiT) needs Java, but {where}: {hint}")
    version = _version_from_release_file(executable) or _version_from_java(executable)
    major = _major(version) if version else None
    if major is None:
        raise JavaUnavailable(f"the OWL reasoner (HermiT) needs Java, but {executable} does not run or report a version: {hint}")
    if major < minimum:
        raise JavaUnavailable(f"the OWL reasoner (HermiT) needs Java {minimum} or newer, but {executable} is Java {version}: {hint}")
    return JavaRuntime(executable=executable, major=major, version=version)
