"""Removes buf's lint directives from the comments of a descriptor set.

    strip_lint_directives.py IN.protoset OUT.protoset

`// buf:lint:ignore RULE` lines are for buf (protos/buf.yaml), not for the
people who read the API through server reflection (grpcurl describe) or a
protoset: each comment keeps every other line.
"""

import sys

from google.protobuf import descriptor_pb2

DIRECTIVE = "buf:lint:"


def strip_comment(comment):
    """`comment` (protoc's form: one line per source line, each with its
    leading space) without its lint directive lines."""
    kept = [line for line in comment.split("\n") if not line.strip().startswith(DIRECTIVE)]
    text = "\n".join(kept)
    return "" if not text.strip() else text


def strip(descriptor_set):
    """Strips every location's comments in place; returns how many changed."""
    changed = 0
    for file in descriptor_set.file:
        for location in file.source_code_info.location:
            for field in ("leading_comments", "trailing_comments"):
                if location.HasField(field):
                    stripped = strip_comment(getattr(location, field))
                    if stripped != getattr(location, field):
                        changed += 1
                        if stripped:
                            setattr(location, field, stripped)
                        else:
                            location.ClearField(field)
            detached = [strip_comment(c) for c in location.leading_detached_comments]
            if detached != list(location.leading_detached_comments):
                changed += 1
                del location.leading_detached_comments[:]
                location.leading_detached_comments.extend(c for c in detached if c)
    return changed


def main(argv):
    if len(argv) != 3:
        raise SystemExit(__doc__)
    descriptor_set = descriptor_pb2.FileDescriptorSet()
    with open(argv[1], "rb") as f:
        descriptor_set.ParseFromString(f.read())
    strip(descriptor_set)
    with open(argv[2], "wb") as f:
        f.write(descriptor_set.SerializeToString(deterministic=True))


if __name__ == "__main__":
    main(sys.argv)
