"""The README's tour runs as written (issue #15).

Every ```console block of README.md, in order, in one shell: lines starting
with ``$ `` are commands (a trailing backslash continues one onto the next
line), the lines under a command are output it must print (each somewhere
in what the command printed, blanks at the ends aside). The ```bash blocks
are illustrations of other set-ups (an office with passwords, files to
import) and are not run here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def tour() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every command of the console blocks."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("$ "):
                command = line[2:]
                while command.endswith("\\"):
                    i += 1
                    command += "\n" + lines[i]  # bash reads the backslash as written
                steps.append((command, []))
            elif steps:
                steps[-1][1].append(line)
            i += 1
    return steps


def test_the_tour_has_commands_and_output():
    steps = tour()
    assert len(steps) >= 20
    assert steps[0][0] == ". .venv/bin/activate"
    assert sum(1 for _, out in steps if out) >= 8


def test_the_readme_tour_runs_as_written(tmp_path):
    """In a fresh folder holding the project's .venv, as after ``make``."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    steps = tour()
    script = ["set -o pipefail"]
    for n, (command, _) in enumerate(steps):
        script += [f"echo '@@step {n}'", command, f"echo \"@@exit {n} $?\""]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADCYCLE_")}
    env.update(COLUMNS="", LANG="C.UTF-8", LC_ALL="C.UTF-8", XDG_CONFIG_HOME=str(tmp_path / "config"),
               LEADCYCLE_LOAD_PLUGINS="realestate,software_sales,machinery")
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    outputs = {}
    for part in re.split(r"^@@step ", proc.stdout, flags=re.M)[1:]:
        n, _, rest = part.partition("\n")
        body, _, code = rest.rpartition(f"@@exit {n} ")
        outputs[int(n)] = (body, int(code.strip()))
    for n, (command, expected) in enumerate(steps):
        assert n in outputs, f"the tour stopped before: $ {command}\n{proc.stderr}"
        body, code = outputs[n]
        assert code == 0, f"$ {command}\nexit {code}\n{body}\n{proc.stderr}"
        for line in expected:
            if line.strip():
                assert line.rstrip() in body, f"$ {command}\nexpected: {line}\ngot:\n{body}"
