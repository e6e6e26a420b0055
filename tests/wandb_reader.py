"""Read back what an offline wandb run wrote (its ``run-*.wandb`` transaction log).

wandb >= 0.2x no longer ships a Python reader.  The file is a 7-byte header (":W&B", magic,
version) followed by LevelDB-log records in 32 KiB blocks: crc32 (4), length (2, LE), type (1:
full, 2: first, 3: middle, 4: last), then the bytes of one protobuf ``Record``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Iterator

from wandb.proto import wandb_internal_pb2 as pb

BLOCK = 32 * 1024
HEADER = 7


def records(path: Path) -> Iterator[pb.Record]:
    data = path.read_bytes()
    assert data[:4] == b":W&B", "not a wandb transaction log"
    offset, pending = HEADER, b""
    while offset + 7 <= len(data):
        left_in_block = BLOCK - offset % BLOCK
        if left_in_block < 7:  # block trailer padding
            offset += left_in_block
            continue
        length, kind = struct.unpack_from("<HB", data, offset + 4)
        if length == 0 and kind == 0:
            offset += left_in_block
            continue
        chunk = data[offset + 7: offset + 7 + length]
        offset += 7 + length
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(pending)
            yield record
            pending = b""


def read_run(run_dir: Path) -> dict:
    """{"id", "group", "config", "history": [rows], "summary": {..}, "tables": [keys]} of one offline run."""
    path = next(run_dir.glob("run-*.wandb"))
    out: dict = {"history": [], "summary": {}, "config": {}, "tables": []}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            out["id"], out["group"] = record.run.run_id, record.run.run_group
            out["config"] |= {i.key: json.loads(i.value_json) for i in record.run.config.update}
        elif kind == "config":
            out["config"] |= {i.key: json.loads(i.value_json) for i in record.config.update}
        elif kind == "history":
            row = {(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in record.history.item}
            out["history"].append(row)
            out["tables"] += [k[: -len("/_type")] for k, v in row.items() if k.endswith("/_type") and v == "table-file"]
        elif kind == "summary":
            out["summary"] |= {(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in record.summary.update}
    return out
