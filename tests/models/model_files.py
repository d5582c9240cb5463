"""Editing saved model files in tests: the hostile and malformed cases start from a good file."""

import io
import json
import zipfile


def with_config(data: bytes, edit) -> bytes:
    """A copy of a model file with config.json passed through ``edit(header)``, which changes it in place."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == "config.json":
                header = json.loads(content)
                edit(header)
                content = json.dumps(header).encode()
            archive.writestr(name, content)
    return out.getvalue()
