"""The shell blocks of a Markdown page, and the commands and outputs in them.

A fenced block whose language is sh, bash, shell or console is a shell block.
The line before its fence may say how the doc test treats it:

    <!-- doc-test: not run: <reason> -->    the block is listed as skipped

Inside a block, a line starting with "$ " is a command; the lines after it,
up to the next command, are what it printed. A command continues on the next
line after a trailing backslash, and through the body of a here-document. A
block without any "$ " line is a script: each of its lines (continued the
same way) is a command whose output the page does not show.

A fenced block of any other language preceded by

    <!-- doc-test: gateway output -->

holds lines the gateway started last on that page must have printed.
"""

import dataclasses
import re

SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
_DIRECTIVE = re.compile(r"^<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


@dataclasses.dataclass
class Step:
    """One command; `output` is None in a script (the page shows none)."""
    command: str
    line: int  # 1-based line of the command in the page
    output: str = None
    output_lines: tuple = None  # (first, last) 1-based lines of the output shown


@dataclasses.dataclass
class Block:
    language: str
    line: int  # 1-based line of the opening fence
    text: str
    directive: str = None  # the doc-test comment before the fence, if any
    steps: list = None

    @property
    def is_shell(self):
        return self.language in SHELL_LANGUAGES

    @property
    def skip_reason(self):
        """The reason given in `not run: <reason>`, or None."""
        if self.directive and self.directive.startswith("not run"):
            reason = self.directive[len("not run"):].lstrip(":").strip()
            return reason or "(no reason given)"
        return None


def blocks(page):
    """Every fenced block of the Markdown text `page`, in order."""
    lines = page.split("\n")
    found, i = [], 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        marker, language = fence.group(2), fence.group(3).lower()
        directive = None
        before = i - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        if before >= 0:
            match = _DIRECTIVE.match(lines[before].strip())
            if match:
                directive = match.group(1)
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(marker):
            end += 1
        block = Block(language, i + 1, "\n".join(lines[i + 1:end]), directive)
        if block.is_shell:
            block.steps = steps(block.text, first_line=i + 2)
        found.append(block)
        i = end + 1
    return found


def _logical_line(lines, i):
    """The command starting at lines[i] (continuations and here-documents
    included) and the index after it."""
    text = [lines[i]]
    terminators = [m.group(2) for m in _HEREDOC.finditer(lines[i])]
    i += 1
    while text[-1].endswith("\\") and i < len(lines):
        text.append(lines[i])
        terminators += [m.group(2) for m in _HEREDOC.finditer(lines[i])]
        i += 1
    for terminator in terminators:
        while i < len(lines):
            text.append(lines[i])
            i += 1
            if lines[i - 1].strip() == terminator:
                break
    return "\n".join(text), i


def steps(text, first_line=1):
    """The commands of one shell block's text."""
    lines = text.split("\n")
    if not any(line.startswith("$ ") or line == "$" for line in lines):
        found, i = [], 0
        while i < len(lines):
            if not lines[i].strip() or lines[i].lstrip().startswith("#"):
                i += 1
                continue
            command, after = _logical_line(lines, i)
            found.append(Step(command, first_line + i))
            i = after
        return found
    found, i = [], 0
    while i < len(lines):
        if not (lines[i].startswith("$ ") or lines[i] == "$"):
            i += 1  # text before the first command
            continue
        start = i
        lines[i] = lines[i][2:]
        command, i = _logical_line(lines, i)
        out_start = i
        while i < len(lines) and not (lines[i].startswith("$ ") or lines[i] == "$"):
            i += 1
        output = lines[out_start:i]
        while output and not output[-1].strip():
            output.pop()
        found.append(Step(command, first_line + start, "\n".join(output),
                          (first_line + out_start, first_line + out_start + len(output) - 1)))
    return found
