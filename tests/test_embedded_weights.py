"""The embedded model's GGUF is the pinned file: found by name and checked by SHA-256 before
llama.cpp parses it."""

import pytest

from evalwheel.llm import embedded
from evalwheel.llm.errors import ModelConfigError


def test_the_packaged_gguf_is_the_pinned_file():
    path = embedded.find_gguf()
    assert path.name == embedded.GGUF_NAME
    embedded.verify_gguf(path)
    assert str(path) in embedded._verified


def test_a_gguf_with_other_bytes_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / embedded.GGUF_NAME
    fake.write_bytes(b"GGUF" + bytes(1024))
    with pytest.raises(ModelConfigError, match="is not the pinned"):
        embedded.verify_gguf(fake)
    assert str(fake) not in embedded._verified


def test_the_packaged_model_is_refused_when_its_file_was_swapped(tmp_path, monkeypatch):
    fake = tmp_path / embedded.GGUF_NAME
    fake.write_bytes(b"GGUF" + bytes(1024))
    monkeypatch.setattr(embedded, "find_gguf", lambda path=None: fake)
    with pytest.raises(ModelConfigError, match="reinstall the model"):
        embedded.load_model()
    assert str(fake) not in embedded._loaded
